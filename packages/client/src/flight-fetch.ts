/**
 * One fetch: GetFlightInfo, then every endpoint read concurrently (up to `concurrency`
 * at once, in endpoint order) into a {@link BatchMerge} that the consumer iterates.
 *
 * Nothing starts until the caller asks: `info()` runs GetFlightInfo only; iterating (or
 * `readTable()`) runs the whole fetch. The first failure of any endpoint fails the fetch:
 * the consumer's pending or next read rejects with it, every other DoGet is cancelled and
 * every timer cleared. The caller's signal and breaking out of the iteration cancel the
 * same way (with a CANCELLED FlightError).
 */

import { setMaxListeners } from "node:events";
import {
  type FlightDescriptor,
  FlightError,
  type FlightInfo,
  type OutgoingHeaders,
  StatusCode,
} from "@flight-cluster/protocol";
import { type RecordBatch, type Schema, Table } from "apache-arrow";
import { BatchMerge } from "./batch-merge.js";
import { ByteBudget } from "./byte-budget.js";
import { abortError, ClientError } from "./client-error.js";
import type { ResolvedClusterClientOptions, ResolvedFetchOptions } from "./client-options.js";
import { ZONE_HEADER } from "./cluster-protocol.js";
import { readEndpoint } from "./endpoint-reader.js";
import type { FetchProgress } from "./fetch-events.js";
import { FetchProgressTracker } from "./fetch-progress.js";
import { type LocationPool, type ProbeReport, raceAbort } from "./location-pool.js";
import type { LocationStats } from "./location-stats.js";
import { TicketRenewer } from "./ticket-renewer.js";
import type { ZoneDirectory } from "./zone-directory.js";

/** A running (or not yet started) fetch: iterate it for record batches, or read it whole. */
export interface FlightFetch extends AsyncIterable<RecordBatch> {
  /** The FlightInfo (runs GetFlightInfo if nothing did yet). @throws the server's FlightError. */
  info(): Promise<FlightInfo>;
  /** The schema of the batches (from the FlightInfo). */
  schema(): Promise<Schema>;
  /**
   * Reads every batch into a Table (an empty Table with the FlightInfo's schema when there
   * are none). Holds the whole result in memory, unlike iterating.
   * @throws as iteration.
   */
  readTable(): Promise<Table>;
  /** What has been received so far. */
  progress(): FetchProgress;
}

/** What a fetch needs from its client. */
export interface FetchDeps {
  readonly pool: LocationPool;
  readonly stats: LocationStats;
  readonly zones: ZoneDirectory;
  readonly client: ResolvedClusterClientOptions;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Abort listeners one endpoint being read may hold on the fetch's signal at once (call, budget wait, connect, spare). */
const LISTENERS_PER_ENDPOINT = 4;
/** Abort listeners of the fetch itself (the caller's signal link, the merge, the renewer, spare). */
const FETCH_LISTENERS = 8;

/** Creates a fetch of `descriptor`; nothing runs until it is used. */
export function createFetch(descriptor: FlightDescriptor, options: ResolvedFetchOptions, deps: FetchDeps): FlightFetch {
  return new FetchRun(descriptor, options, deps);
}

class FetchRun implements FlightFetch {
  readonly #descriptor: FlightDescriptor;
  readonly #options: ResolvedFetchOptions;
  readonly #deps: FetchDeps;
  readonly #progress: FetchProgressTracker;
  readonly #controller = new AbortController();
  readonly #headers: OutgoingHeaders;
  #info: Promise<FlightInfo> | undefined;
  #iterated = false;
  #started: Promise<BatchMerge> | undefined;
  #readers: Promise<void> | undefined;
  #renewer: TicketRenewer | undefined;
  #finished = false;

  constructor(descriptor: FlightDescriptor, options: ResolvedFetchOptions, deps: FetchDeps) {
    this.#descriptor = descriptor;
    this.#options = options;
    this.#deps = deps;
    this.#progress = new FetchProgressTracker(options.onEvent);
    // Each endpoint being read listens on this signal a few times (its call, its budget
    // wait, its ticket renewal), so concurrency >= 4 passes Node's default of 10 listeners
    // and would print a "possible memory leak" warning that is not one. The bound keeps
    // the check meaningful for a real leak.
    setMaxListeners(LISTENERS_PER_ENDPOINT * options.concurrency + FETCH_LISTENERS, this.#controller.signal);
    const zone = deps.client.zone;
    this.#headers = zone === undefined ? options.headers : { ...options.headers, [ZONE_HEADER]: zone };
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = () => this.#stop(abortError(signal));
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener("abort", onAbort, { once: true });
        this.#controller.signal.addEventListener("abort", () => signal.removeEventListener("abort", onAbort), {
          once: true,
        });
      }
    }
  }

  info(): Promise<FlightInfo> {
    this.#info ??= this.#getInfo();
    return this.#info;
  }

  async schema(): Promise<Schema> {
    return (await this.info()).schema;
  }

  progress(): FetchProgress {
    return this.#progress.snapshot();
  }

  async readTable(): Promise<Table> {
    const batches: RecordBatch[] = [];
    for await (const batch of this) batches.push(batch);
    if (batches.length === 0) return new Table((await this.info()).schema);
    return new Table(batches);
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordBatch, undefined> {
    if (this.#iterated) {
      throw new ClientError("CLIENT_INVALID_OPTIONS", "a fetch can be iterated once; call fetch() again");
    }
    this.#iterated = true;
    return {
      next: async () => {
        try {
          this.#started ??= this.#start();
          const merge = await this.#started;
          const result = await merge.next();
          if (result.done) await this.#finish();
          return result;
        } catch (error) {
          const failure = this.#controller.signal.aborted ? this.#failure(error) : FlightError.from(error);
          this.#stop(failure);
          await this.#finish();
          throw failure;
        }
      },
      return: async () => {
        this.#stop(new FlightError(StatusCode.CANCELLED, "the consumer stopped reading the fetch"));
        await this.#finish();
        return DONE;
      },
    };
  }

  #failure(error: unknown): FlightError {
    const reason: unknown = this.#controller.signal.reason;
    return reason instanceof FlightError ? reason : FlightError.from(error);
  }

  /** Stops everything with `error` (first call wins). */
  #stop(error: FlightError): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(error);
    this.#renewer?.stop();
  }

  /** Waits for every reader to end and releases timers. */
  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#renewer?.stop();
    await this.#readers?.catch(() => undefined);
    if (!this.#controller.signal.aborted) this.#controller.abort(new FlightError(StatusCode.OK, "fetch finished"));
  }

  async #getInfo(): Promise<FlightInfo> {
    const { pool, stats, zones } = this.#deps;
    const signal = this.#controller.signal;
    const started = performance.now();
    const [info] = await Promise.all([
      raceAbort(
        pool.origin.client.getFlightInfo(this.#descriptor, {
          signal,
          timeoutMs: this.#options.infoTimeoutMs,
          headers: this.#headers,
        }),
        signal,
      ),
      zones.refresh(signal),
    ]);
    stats.sample(pool.origin.uri, performance.now() - started);
    return info;
  }

  async #start(): Promise<BatchMerge> {
    const info = await this.info();
    const signal = this.#controller.signal;
    if (signal.aborted) throw abortError(signal);
    const { pool, stats, zones } = this.#deps;
    const ordered = this.#options.ordered ?? info.ordered;
    const count = info.endpoints.length;
    this.#progress.setTotal(count);
    this.#progress.emit({
      kind: "info",
      endpoints: count,
      totalRecords: info.totalRecords,
      totalBytes: info.totalBytes,
      ordered,
    });
    const merge = new BatchMerge(count, ordered, new ByteBudget(this.#options.byteBudget));
    signal.addEventListener("abort", () => merge.fail(this.#failure(signal.reason)), { once: true });
    const renewer = new TicketRenewer(info.endpoints, {
      client: pool.origin.client,
      renewBeforeMs: this.#options.renewBeforeMs,
      timeoutMs: this.#deps.client.actionTimeoutMs,
      headers: this.#headers,
      signal,
      emit: (event) => this.#progress.emit(event),
    });
    this.#renewer = renewer;
    if (this.#options.renew) renewer.start();
    const probeReport: ProbeReport = (location, outcome) =>
      this.#progress.emit({ kind: "probe", location, ...outcome });
    // Probe every distinct location up front, in parallel (each at most once per client).
    const locations = new Set<string>();
    for (const endpoint of info.endpoints) for (const l of endpoint.locations) locations.add(pool.key(l.uri));
    await Promise.all([...locations].map((uri) => pool.ready(uri, signal, probeReport).catch(() => undefined)));
    if (signal.aborted) throw abortError(signal);
    let next = 0;
    const slot = async (): Promise<void> => {
      while (next < count && !signal.aborted) {
        const index = next++;
        await readEndpoint({
          index,
          pool,
          stats,
          options: this.#options,
          signal,
          headers: this.#headers,
          callerZone: this.#deps.client.zone,
          zoneOf: (uri) => zones.zoneOf(uri),
          current: () => renewer.current(index),
          merge,
          progress: this.#progress,
          probeReport,
        });
        renewer.done(index);
        merge.endpointDone(index);
      }
    };
    const slots = Array.from({ length: Math.min(this.#options.concurrency, count) }, () =>
      slot().catch((error: unknown) => {
        this.#stop(signal.aborted ? this.#failure(error) : FlightError.from(error));
      }),
    );
    this.#readers = Promise.all(slots).then(() => {
      renewer.stop();
    });
    return merge;
  }
}
