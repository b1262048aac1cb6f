/**
 * A map whose entries lapse at an absolute time on an injected clock: the memory
 * backend's stand-in for Redis keys with PEXPIRE. Lapsed entries are invisible at
 * once and swept at most once per `sweepIntervalMs` of clock time, so memory stays
 * bounded by the live entries plus one interval's worth of lapsed ones.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  #lastSweep = Number.NEGATIVE_INFINITY;

  /** @param sweepIntervalMs minimum clock time between sweeps, in ms. */
  constructor(readonly sweepIntervalMs = 1000) {}

  /** The live entry of `key` at `now` (ms), or undefined. */
  get(key: string, now: number): { value: V; expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > now) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Store `value` until `expiresAt` (ms since epoch), replacing any entry. */
  set(key: string, value: V, expiresAt: number, now: number): void {
    this.sweep(now);
    this.#entries.set(key, { value, expiresAt });
  }

  /** Delete `key`; returns whether a live entry was deleted. */
  delete(key: string, now: number): boolean {
    const live = this.get(key, now) !== undefined;
    this.#entries.delete(key);
    return live;
  }

  /** Drop lapsed entries, unless a sweep ran less than `sweepIntervalMs` ago. */
  sweep(now: number): void {
    if (now - this.#lastSweep < this.sweepIntervalMs) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
