/**
 * ZoneDirectory: which zone each location is in, for the zone preference of location
 * choice. Zones come from the client's `locationZones` option and, when discovery is on,
 * from the planner's `list_workers` action (`[{zone, locations: [...]}, ...]`), asked at
 * most once per `cacheMs`. A service without that action is not asked again until the
 * cache time passed; its locations simply have no known zone.
 */
import type { FlightClient, OutgoingHeaders } from "@flight-cluster/protocol";
import { jsonAction } from "./cluster-actions.js";
import { raceAbort } from "./location-pool.js";

/** Options of {@link ZoneDirectory}. */
export interface ZoneDirectoryOptions {
  readonly known: ReadonlyMap<string, string>;
  readonly discover: boolean;
  readonly cacheMs: number;
  readonly origin: FlightClient;
  readonly timeoutMs: number;
  readonly headers: OutgoingHeaders;
}

/** Location -> zone, learnt lazily. */
export class ZoneDirectory {
  readonly #options: ZoneDirectoryOptions;
  #discovered = new Map<string, string>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #pending: Promise<void> | undefined;

  constructor(options: ZoneDirectoryOptions) {
    this.#options = options;
  }

  /** The zone of `uri`, if known. */
  zoneOf(uri: string): string | undefined {
    return this.#options.known.get(uri) ?? this.#discovered.get(uri);
  }

  /** Refreshes discovered zones when due (never throws; a failure leaves them unknown until the next refresh). */
  async refresh(signal: AbortSignal | undefined): Promise<void> {
    if (!this.#options.discover || Date.now() - this.#fetchedAt < this.#options.cacheMs) return;
    this.#pending ??= this.#load().finally(() => {
      this.#pending = undefined;
    });
    await raceAbort(this.#pending, signal).catch(() => undefined);
  }

  async #load(): Promise<void> {
    this.#fetchedAt = Date.now();
    try {
      const answer = await jsonAction(this.#options.origin, "list_workers", "", {
        timeoutMs: this.#options.timeoutMs,
        headers: this.#options.headers,
      });
      if (!Array.isArray(answer)) return;
      const zones = new Map<string, string>();
      for (const worker of answer) {
        if (typeof worker !== "object" || worker === null) continue;
        const { zone, locations } = worker as { zone?: unknown; locations?: unknown };
        if (typeof zone !== "string" || !Array.isArray(locations)) continue;
        for (const location of locations) if (typeof location === "string") zones.set(location, zone);
      }
      this.#discovered = zones;
    } catch {
      // Not a flight-cluster planner (or it failed): zones stay unknown until the next refresh.
    }
  }
}
