/**
 * LocationStats: what the client knows about each location, kept across fetches of one
 * client: a moving estimate of its round-trip time, the calls in flight to it, and
 * whether it is known dead (and until when).
 *
 * Round-trip samples come from the probe at first use and from every DoGet's time to
 * first response. Two moving estimates are kept: an exponentially weighted moving average
 * (`ewma = alpha * sample + (1 - alpha) * ewma`, reported), and the minimum of the last
 * {@link BASE_WINDOW} samples, the location's base round trip, which location choice uses:
 * it ignores transient delays (a busy event loop, a queue) yet follows a lasting change
 * within a window. A dead location is avoided for `deadTtlMs`, so a down worker costs one
 * connect timeout per TTL, not one per endpoint.
 */
import type { FlightError } from "@flight-cluster/protocol";

/** Samples the base round trip is the minimum of. */
export const BASE_WINDOW = 8;

/** What is known about one location. */
export interface LocationState {
  /** Round-trip estimate (moving average), ms; undefined before the first sample. */
  readonly rttMs: number | undefined;
  /** Base round trip (minimum of the last samples), ms; undefined before the first sample. */
  readonly baseRttMs: number | undefined;
  /** Calls in flight. */
  readonly inflight: number;
  /** Until when the location is avoided (ms since epoch); 0 when alive. */
  readonly deadUntil: number;
  /** The error that made it dead. */
  readonly lastError: FlightError | undefined;
  /** DoGets started on it. */
  readonly started: number;
}

interface MutableState {
  rttMs: number | undefined;
  /** The last samples, oldest first (at most BASE_WINDOW). */
  recent: number[];
  inflight: number;
  deadUntil: number;
  lastError: FlightError | undefined;
  started: number;
}

/** Options of {@link LocationStats}. */
export interface LocationStatsOptions {
  /** Weight of a new sample, in (0, 1]. */
  readonly alpha: number;
  /** How long a dead location is avoided, ms. */
  readonly deadTtlMs: number;
  /** Clock, ms since epoch (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** Per-location estimates; one per client. */
export class LocationStats {
  readonly #alpha: number;
  readonly #deadTtlMs: number;
  readonly #now: () => number;
  readonly #states = new Map<string, MutableState>();

  constructor(options: LocationStatsOptions) {
    this.#alpha = options.alpha;
    this.#deadTtlMs = options.deadTtlMs;
    this.#now = options.now ?? Date.now;
  }

  #state(uri: string): MutableState {
    let state = this.#states.get(uri);
    if (state === undefined) {
      state = { rttMs: undefined, recent: [], inflight: 0, deadUntil: 0, lastError: undefined, started: 0 };
      this.#states.set(uri, state);
    }
    return state;
  }

  /** Adds a round-trip sample (ms). */
  sample(uri: string, ms: number): void {
    const state = this.#state(uri);
    const value = Math.max(0, ms);
    state.rttMs = state.rttMs === undefined ? value : this.#alpha * value + (1 - this.#alpha) * state.rttMs;
    state.recent.push(value);
    if (state.recent.length > BASE_WINDOW) state.recent.shift();
  }

  /** The round-trip moving average (ms), or undefined. */
  rtt(uri: string): number | undefined {
    return this.#states.get(uri)?.rttMs;
  }

  /** The base round trip: the minimum of the last samples (ms), or undefined. */
  baseRtt(uri: string): number | undefined {
    const recent = this.#states.get(uri)?.recent;
    return recent === undefined || recent.length === 0 ? undefined : Math.min(...recent);
  }

  /** Calls in flight to `uri`. */
  inflight(uri: string): number {
    return this.#states.get(uri)?.inflight ?? 0;
  }

  /** A call to `uri` starts. */
  begin(uri: string): void {
    const state = this.#state(uri);
    state.inflight++;
    state.started++;
  }

  /** A call to `uri` ended. */
  end(uri: string): void {
    const state = this.#state(uri);
    state.inflight = Math.max(0, state.inflight - 1);
  }

  /** Avoid `uri` for the dead TTL. @returns true when it was not already dead. */
  markDead(uri: string, error: FlightError): boolean {
    const state = this.#state(uri);
    const wasDead = this.isDead(uri);
    state.deadUntil = this.#now() + this.#deadTtlMs;
    state.lastError = error;
    return !wasDead;
  }

  /** True while `uri` is avoided. */
  isDead(uri: string): boolean {
    const state = this.#states.get(uri);
    return state !== undefined && state.deadUntil > this.#now();
  }

  /** The error that made `uri` dead, while it is. */
  deadReason(uri: string): FlightError | undefined {
    return this.isDead(uri) ? this.#states.get(uri)?.lastError : undefined;
  }

  /** A copy of every location's state. */
  snapshot(): Map<string, LocationState> {
    return new Map(
      [...this.#states].map(([uri, s]) => [
        uri,
        {
          rttMs: s.rttMs,
          baseRttMs: this.baseRtt(uri),
          inflight: s.inflight,
          deadUntil: s.deadUntil,
          lastError: s.lastError,
          started: s.started,
        },
      ]),
    );
  }
}
