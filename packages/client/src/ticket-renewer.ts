/**
 * TicketRenewer: keeps the tickets of a long fetch valid. Every endpoint with an
 * `expiration_time` that is not done yet is renewed (the well-known RenewFlightEndpoint
 * action, against the service that answered GetFlightInfo) `renewBeforeMs` before it
 * expires; readers always start a DoGet, first or retry, with the latest endpoint.
 *
 * One timer per fetch, armed for the earliest due renewal, cleared by `stop()`. A renewal
 * that fails, or that does not move the expiry later, is reported once and that endpoint
 * is not renewed again (its current ticket is used until it expires).
 */
import {
  type FlightClient,
  type FlightEndpoint,
  FlightError,
  type OutgoingHeaders,
  StatusCode,
} from "@flight-cluster/protocol";
import type { FetchEvent } from "./fetch-events.js";

/** Options of {@link TicketRenewer}. */
export interface TicketRenewerOptions {
  /** The service that answered GetFlightInfo. */
  readonly client: FlightClient;
  /** Renew this long before expiry, ms; default a third of each ticket's initial lifetime, at most 60 s. */
  readonly renewBeforeMs: number | undefined;
  /** Deadline of each renewal, ms. */
  readonly timeoutMs: number;
  readonly headers: OutgoingHeaders;
  /** The fetch's signal: renewals stop when it aborts. */
  readonly signal: AbortSignal;
  readonly emit: (event: FetchEvent) => void;
  /** Clock, ms since epoch. Default `Date.now`. */
  readonly now?: () => number;
}

interface Slot {
  endpoint: FlightEndpoint;
  /** Renew before expiry by this much, ms. */
  readonly lead: number;
  done: boolean;
  failed: boolean;
  renewing: boolean;
}

/** Renewals made at once. */
const PARALLEL_RENEWALS = 8;
const MAX_DEFAULT_LEAD_MS = 60_000;

/** Renews the tickets of one fetch. */
export class TicketRenewer {
  readonly #options: TicketRenewerOptions;
  readonly #slots: Slot[];
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #renewals = 0;

  constructor(endpoints: readonly FlightEndpoint[], options: TicketRenewerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    const now = this.#now();
    this.#slots = endpoints.map((endpoint) => {
      const expiry = endpoint.expirationTime?.getTime();
      const lifetime = expiry === undefined ? 0 : Math.max(0, expiry - now);
      const lead = options.renewBeforeMs ?? Math.min(MAX_DEFAULT_LEAD_MS, Math.max(1, Math.floor(lifetime / 3)));
      return { endpoint, lead, done: false, failed: false, renewing: false };
    });
  }

  /** Renewals that succeeded so far. */
  get renewals(): number {
    return this.#renewals;
  }

  /** The latest endpoint `index` (renewed or as GetFlightInfo gave it). */
  current(index: number): FlightEndpoint {
    return (this.#slots[index] as Slot).endpoint;
  }

  /** Starts renewing. */
  start(): void {
    this.#schedule();
  }

  /** `index` needs no more renewals. */
  done(index: number): void {
    const slot = this.#slots[index];
    if (slot !== undefined) slot.done = true;
  }

  /** Stops every renewal timer. Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #dueAt(slot: Slot): number | undefined {
    const expiry = slot.endpoint.expirationTime?.getTime();
    if (expiry === undefined || slot.done || slot.failed || slot.renewing) return undefined;
    return expiry - slot.lead;
  }

  #schedule(): void {
    if (this.#stopped || this.#options.signal.aborted) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    let earliest = Number.POSITIVE_INFINITY;
    for (const slot of this.#slots) earliest = Math.min(earliest, this.#dueAt(slot) ?? Number.POSITIVE_INFINITY);
    if (earliest === Number.POSITIVE_INFINITY) return;
    const delay = Math.min(2 ** 31 - 1, Math.max(0, earliest - this.#now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#renewDue();
    }, delay);
    this.#timer.unref();
  }

  async #renewDue(): Promise<void> {
    const now = this.#now();
    const due = this.#slots
      .map((slot, index) => ({ slot, index }))
      .filter(({ slot }) => {
        const at = this.#dueAt(slot);
        return at !== undefined && at <= now;
      });
    for (const { slot } of due) slot.renewing = true;
    let next = 0;
    const worker = async () => {
      while (next < due.length && !this.#stopped) {
        const item = due[next++] as { slot: Slot; index: number };
        await this.#renew(item.slot, item.index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_RENEWALS, due.length) }, worker));
    for (const { slot } of due) slot.renewing = false;
    this.#schedule();
  }

  async #renew(slot: Slot, index: number): Promise<void> {
    const before = slot.endpoint.expirationTime?.getTime() ?? 0;
    try {
      const renewed = await this.#options.client.renewFlightEndpoint(slot.endpoint, {
        signal: this.#options.signal,
        timeoutMs: this.#options.timeoutMs,
        headers: this.#options.headers,
      });
      if (this.#stopped || slot.done) return;
      const after = renewed.expirationTime?.getTime();
      if (after === undefined || after <= before) {
        throw new FlightError(StatusCode.INTERNAL, "RenewFlightEndpoint did not extend the endpoint's expiration time");
      }
      // Keep the known locations if the server answered without them.
      slot.endpoint = renewed.locations.length > 0 ? renewed : { ...renewed, locations: slot.endpoint.locations };
      this.#renewals++;
      this.#options.emit({ kind: "renewed", endpoint: index, expirationTime: renewed.expirationTime });
    } catch (error) {
      if (this.#stopped || this.#options.signal.aborted) return;
      slot.failed = true;
      this.#options.emit({ kind: "renew-failed", endpoint: index, error: FlightError.from(error) });
    }
  }
}
