/**
 * Ticket resolution for DoGet, through the registry with a small cache.
 *
 * Staleness window: a resolved ticket is reused for at most `ttlMs` (default 2 s) and
 * never past its own expiry, so a ticket cancelled (or renewed shorter) in the
 * registry may still be honoured by this worker for up to `ttlMs` afterwards; unknown
 * tickets are never cached, so a freshly issued ticket works at once. Concurrent
 * lookups of one ticket share one registry call. The cache holds at most `maxEntries`
 * tickets (oldest evicted first).
 */
import type { Registry, TicketInfo } from "@flight-cluster/registry";

/** Options of {@link TicketCache}. */
export interface TicketCacheOptions {
  readonly registry: Registry;
  /** How long a resolved ticket is reused, ms (0 disables the cache). */
  readonly ttlMs: number;
  /** Most cached tickets. Default 10,000. */
  readonly maxEntries?: number;
  /** Clock, ms since epoch (default `Date.now`). */
  readonly now?: () => number;
}

interface Entry {
  readonly info: TicketInfo;
  readonly until: number;
}

/** Cached ticket lookups; see the file comment. */
export class TicketCache {
  readonly #options: TicketCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<TicketInfo | null>>();
  readonly #now: () => number;

  constructor(options: TicketCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The live ticket `id`, or null when the registry does not know it (unknown,
   * expired or cancelled). @throws the registry's errors (e.g. RegistryUnavailableError).
   */
  async resolve(id: string, signal?: AbortSignal): Promise<TicketInfo | null> {
    signal?.throwIfAborted();
    const now = this.#now();
    const cached = this.#entries.get(id);
    if (cached !== undefined) {
      if (now < cached.until) return cached.info;
      this.#entries.delete(id);
    }
    const pending = this.#inFlight.get(id);
    if (pending !== undefined) return pending;
    // Shared by concurrent callers, so it does not take one caller's signal (the registry has its own timeouts).
    const lookup = this.#options.registry.resolveTicket(id).then((info) => {
      if (info !== null && this.#options.ttlMs > 0) this.#remember(id, info);
      return info;
    });
    this.#inFlight.set(id, lookup);
    try {
      return await lookup;
    } finally {
      this.#inFlight.delete(id);
    }
  }

  #remember(id: string, info: TicketInfo): void {
    const until = Math.min(this.#now() + this.#options.ttlMs, info.expiresAt);
    this.#entries.set(id, { info, until });
    const max = this.#options.maxEntries ?? 10_000;
    while (this.#entries.size > max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Forget every cached ticket. */
  clear(): void {
    this.#entries.clear();
  }

  /** Number of cached tickets. */
  get size(): number {
    return this.#entries.size;
  }
}
