/**
 * LocationPool: one pooled FlightClient (one HTTP/2 channel) per location, the origin
 * connection that reuse-connection locations map to, and the probe that gates a
 * location's first use.
 *
 * The probe runs once per location (single flight, shared by every endpoint and fetch
 * that needs the location): cheap calls (ListActions; any answer, even an error status,
 * proves the server is there), one to connect, then three timed to their response
 * headers, whose fastest is the first round-trip sample. A location that does not answer within `connectTimeoutMs`, or refuses the
 * connection, is marked dead and its channel closed, so a down worker costs one connect
 * timeout for the whole fetch; after the dead TTL it is probed again on its next use.
 */
import { connect, type FlightClient, FlightError, isReuseConnection, StatusCode } from "@flight-cluster/protocol";
import { CallObserverSlot } from "./call-observer.js";
import { abortError, ClientError } from "./client-error.js";
import type { ResolvedClusterClientOptions } from "./client-options.js";
import type { LocationStats } from "./location-stats.js";

/** A pooled connection to one location. */
export interface PooledLocation {
  /** The location's URI (the origin's URI for the origin connection). */
  readonly uri: string;
  readonly client: FlightClient;
  /** Attaches an observer to the next call started on `client`. */
  readonly observer: CallObserverSlot;
}

interface Entry {
  readonly pooled: PooledLocation;
  probe: Promise<void> | undefined;
}

/** Timed probe calls per location; the fastest is the first round-trip sample (robust to a busy event loop). */
const PROBE_SAMPLES = 3;

/** What a probe reports. */
export type ProbeReport = (uri: string, outcome: { rttMs?: number; error?: FlightError }) => void;

/** Statuses that mean "nobody answered": the location is down or unreachable. */
const UNREACHABLE: ReadonlySet<number> = new Set([StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED]);

/** True when a call's failure means the server could not be reached or stopped answering. */
export function isUnreachable(error: FlightError): boolean {
  return UNREACHABLE.has(error.code);
}

/** Resolves `promise`, or rejects with a CANCELLED FlightError once `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Pooled channels and probes of one client. */
export class LocationPool {
  /** The connection to the service the client was created for. */
  readonly origin: PooledLocation;
  readonly #options: ResolvedClusterClientOptions;
  readonly #stats: LocationStats;
  readonly #entries = new Map<string, Entry>();
  /** Channels of dead locations still carrying calls. */
  readonly #retired = new Set<Entry>();
  readonly #closing = new AbortController();
  #closed = false;

  /**
   * @param originUri - the service's location (`grpc+tcp://host:port`, ...).
   * @throws FlightInvalidArgumentError for a bad origin location.
   */
  constructor(originUri: string, options: ResolvedClusterClientOptions, stats: LocationStats) {
    this.#options = options;
    this.#stats = stats;
    this.origin = this.#open(originUri);
    this.#entries.set(originUri, { pooled: this.origin, probe: Promise.resolve() });
  }

  /** The pool key of a location: the origin's URI for reuse-connection locations. */
  key(uri: string): string {
    return isReuseConnection(uri) ? this.origin.uri : uri;
  }

  /**
   * The pooled connection of `uri` (created on first use).
   * @throws ClientError `CLIENT_CLOSED` after close; FlightInvalidArgumentError for a bad location.
   */
  get(uri: string): PooledLocation {
    if (this.#closed) throw new ClientError("CLIENT_CLOSED", "the cluster client is closed");
    const key = this.key(uri);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { pooled: this.#open(key), probe: undefined };
      this.#entries.set(key, entry);
    }
    return entry.pooled;
  }

  /**
   * Resolves once `uri` may be used: at once for the origin, a probed location, or when
   * probing is off; otherwise after its (shared) probe.
   * @throws the FlightError that made the location dead; CANCELLED when `signal` aborts.
   */
  async ready(uri: string, signal: AbortSignal | undefined, report: ProbeReport): Promise<void> {
    const key = this.key(uri);
    const dead = this.#stats.deadReason(key);
    if (dead !== undefined) throw dead;
    this.get(key);
    const entry = this.#entries.get(key) as Entry;
    if (!this.#options.probe) return;
    entry.probe ??= this.#probe(entry, report);
    await raceAbort(entry.probe, signal);
  }

  /**
   * Marks `uri` dead: it is avoided for the dead TTL, and its channel is closed as soon as
   * no call runs on it (so a connection attempt to a stalled server stops; calls that still
   * stream from it finish). Its next use after the TTL opens a new channel and probes
   * again. The origin's channel stays open.
   * @returns true when the location was not already dead.
   */
  markDead(uri: string, error: FlightError): boolean {
    const key = this.key(uri);
    const fresh = this.#stats.markDead(key, error);
    const entry = this.#entries.get(key);
    if (key !== this.origin.uri && entry !== undefined) {
      this.#entries.delete(key);
      this.#retired.add(entry);
      this.callEnded(key);
    }
    return fresh;
  }

  /** A call on `uri` ended (after `stats.end`): closes retired channels that are now idle. */
  callEnded(uri: string): void {
    if (this.#retired.size === 0 || this.#stats.inflight(uri) > 0) return;
    for (const entry of this.#retired) {
      if (entry.pooled.uri !== uri) continue;
      this.#retired.delete(entry);
      entry.pooled.client.close();
    }
  }

  /** Closes every channel and stops probes. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort(new FlightError(StatusCode.CANCELLED, "the cluster client was closed"));
    for (const entry of [...this.#entries.values(), ...this.#retired]) entry.pooled.client.close();
    this.#entries.clear();
    this.#retired.clear();
  }

  #open(uri: string): PooledLocation {
    const o = this.#options;
    const observer = new CallObserverSlot();
    const client = connect(uri, {
      ...(o.tls === undefined ? {} : { tls: o.tls }),
      headers: o.headers,
      middleware: [...o.middleware, observer],
      flowControlWindowBytes: o.flowControlWindowBytes,
      maxFlowControlWindowBytes: o.maxFlowControlWindowBytes,
      receiveThreads: o.receiveThreads,
      maxReceiveMessageBytes: o.maxReceiveMessageBytes,
      maxMessageBytes: o.maxMessageBytes,
    });
    return { uri, client, observer };
  }

  async #probe(entry: Entry, report: ProbeReport): Promise<void> {
    const { uri, client } = entry.pooled;
    const signal = this.#closing.signal;
    const deadline = Date.now() + this.#options.connectTimeoutMs;
    // Timed to the response headers (or the end, for a trailers-only answer): a server's
    // trailers may wait for a TCP acknowledgement (Nagle), which is not the round trip.
    const call = async (): Promise<number> => {
      const start = performance.now();
      let answered: number | undefined;
      try {
        await entry.pooled.observer.observe(
          {
            receivedHeaders() {
              answered ??= performance.now();
            },
          },
          () => client.listActions({ signal, timeoutMs: Math.max(1, deadline - Date.now()) }),
        );
      } catch (error) {
        const failure = FlightError.from(error);
        // Any status but "nobody answered" proves the server is there.
        if (isUnreachable(failure) || failure.code === StatusCode.CANCELLED) throw failure;
      }
      return (answered ?? performance.now()) - start;
    };
    try {
      await call();
      let rttMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < PROBE_SAMPLES; i++) rttMs = Math.min(rttMs, await call());
      this.#stats.sample(uri, rttMs);
      report(uri, { rttMs });
    } catch (error) {
      const failure = FlightError.from(error);
      entry.probe = undefined;
      if (!signal.aborted) {
        this.markDead(uri, failure);
        report(uri, { error: failure });
      }
      throw failure;
    }
  }
}
