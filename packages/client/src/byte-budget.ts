/**
 * ByteBudget: an asynchronous semaphore counted in bytes, the one place where the
 * client's memory bound is enforced (received batches waiting for the consumer of a
 * fetch; encoded messages waiting for the shard uploads of a put).
 *
 * - A request that fits is admitted; otherwise it waits, ordered by `priority` (lower
 *   first), then by arrival. A waiter never overtakes an earlier one that does not fit,
 *   so a large request cannot starve.
 * - A request larger than the whole budget is admitted once nothing else is held, so a
 *   single oversized item never deadlocks (the bound is then that one item).
 * - A waiter may carry a `bypass` predicate: while it returns true the request is admitted
 *   regardless of the budget (the ordered merge uses it so that the endpoint the consumer
 *   waits for always makes progress; it then exceeds the budget by at most one batch).
 */
import { abortError } from "./client-error.js";

/** Options of {@link ByteBudget.acquire}. */
export interface AcquireOptions {
  /** Aborting rejects the wait with a CANCELLED FlightError. */
  readonly signal?: AbortSignal | undefined;
  /** Lower is served first. Default 0. */
  readonly priority?: number;
  /** Admit at once, over the budget, while this returns true (re-checked on every `poke`). */
  readonly bypass?: () => boolean;
}

interface Waiter {
  readonly bytes: number;
  readonly priority: number;
  readonly seq: number;
  readonly bypass: (() => boolean) | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly cleanup: () => void;
}

/** A byte-counted semaphore. Not thread-safe (one event loop). */
export class ByteBudget {
  /** The budget, bytes. */
  readonly limit: number;
  #used = 0;
  #seq = 0;
  #waiters: Waiter[] = [];
  #failure: unknown;
  #hasFailure = false;

  /** @param limit - bytes, > 0. */
  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`ByteBudget limit must be > 0, got ${limit}`);
    this.limit = limit;
  }

  /** Bytes held now (may exceed `limit` by one oversized or bypassing request). */
  get used(): number {
    return this.#used;
  }

  /** Requests waiting. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Wait until `bytes` may be held, then hold them (give them back with `release`).
   * @throws the error given to `fail`, or a CANCELLED FlightError when `signal` aborts.
   */
  acquire(bytes: number, options: AcquireOptions = {}): Promise<void> {
    if (this.#hasFailure) return Promise.reject(this.#failure);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const bypass = options.bypass;
    if (bypass?.() === true || (this.#waiters.length === 0 && this.#fits(bytes))) {
      this.#used += bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#remove(waiter);
        reject(abortError(signal as AbortSignal));
        this.poke();
      };
      const waiter: Waiter = {
        bytes,
        priority: options.priority ?? 0,
        seq: this.#seq++,
        bypass,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#waiters.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    });
  }

  /** Gives back bytes held and admits waiters that now fit. */
  release(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    this.poke();
  }

  /** Re-checks waiters (call when a `bypass` predicate may have become true). */
  poke(): void {
    let blocked = false;
    for (const waiter of [...this.#waiters]) {
      const admit = waiter.bypass?.() === true || (!blocked && this.#fits(waiter.bytes));
      if (!admit) {
        blocked = true;
        continue;
      }
      this.#remove(waiter);
      this.#used += waiter.bytes;
      waiter.cleanup();
      waiter.resolve();
    }
  }

  /** Rejects every waiter and every later `acquire` with `error`. */
  fail(error: unknown): void {
    if (this.#hasFailure) return;
    this.#hasFailure = true;
    this.#failure = error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.limit;
  }

  #remove(waiter: Waiter): void {
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
  }
}
