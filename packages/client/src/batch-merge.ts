/**
 * BatchMerge: joins the record batches of many endpoint readers into one stream for
 * one consumer, in arrival order (unordered) or endpoint order (ordered), with memory
 * bounded by a {@link ByteBudget}.
 *
 * Producers (endpoint readers) `push` each batch and wait while the budget is used up;
 * the consumer's `next` takes a batch and gives its bytes back. In ordered mode each
 * endpoint has its own queue and batches are yielded from the lowest unfinished endpoint
 * (the head) only; the later endpoints read ahead into the budget. The head never waits
 * for the budget while its queue is empty (`bypass`), so the look-ahead can never starve
 * the endpoint the consumer needs: the bound is the budget plus one batch.
 */
import type { RecordBatch } from "apache-arrow";
import type { ByteBudget } from "./byte-budget.js";

interface Item {
  readonly batch: RecordBatch;
  readonly bytes: number;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** Merges endpoint streams; one consumer. */
export class BatchMerge {
  readonly #ordered: boolean;
  readonly #budget: ByteBudget;
  readonly #queues: Item[][];
  readonly #done: boolean[];
  #remaining: number;
  #head = 0;
  #failure: unknown;
  #failed = false;
  #wake: (() => void) | undefined;

  /**
   * @param endpoints - number of endpoint streams (each must end with `endpointDone`).
   * @param ordered - yield in endpoint order.
   * @param budget - bytes of queued batches.
   */
  constructor(endpoints: number, ordered: boolean, budget: ByteBudget) {
    this.#ordered = ordered;
    this.#budget = budget;
    this.#queues = Array.from({ length: ordered ? endpoints : 1 }, () => []);
    this.#done = new Array<boolean>(endpoints).fill(false);
    this.#remaining = endpoints;
  }

  /** Bytes queued for the consumer now. */
  get queuedBytes(): number {
    return this.#budget.used;
  }

  /**
   * Queue a batch of `endpoint`; resolves once it is queued (after waiting for the budget).
   * @throws the merge's failure, or a CANCELLED FlightError when `signal` aborts.
   */
  async push(endpoint: number, batch: RecordBatch, bytes: number, signal: AbortSignal): Promise<void> {
    const queue = this.#queues[this.#ordered ? endpoint : 0] as Item[];
    await this.#budget.acquire(bytes, {
      signal,
      priority: this.#ordered ? endpoint : 0,
      bypass: this.#ordered ? () => endpoint === this.#head && queue.length === 0 : undefined,
    });
    if (this.#failed) {
      this.#budget.release(bytes);
      throw this.#failure;
    }
    queue.push({ batch, bytes });
    this.#notify();
  }

  /** `endpoint` will push nothing more. */
  endpointDone(endpoint: number): void {
    if (this.#done[endpoint]) return;
    this.#done[endpoint] = true;
    this.#remaining--;
    this.#advanceHead();
    this.#notify();
  }

  /** Fails the merge: the consumer's next `next` and waiting producers reject with `error` (first failure wins). */
  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#failure = error;
    this.#budget.fail(error);
    for (const queue of this.#queues) queue.length = 0;
    this.#notify();
  }

  /** The next batch in merge order; done once every endpoint is done and drained. Rejects with the failure. */
  async next(): Promise<IteratorResult<RecordBatch, undefined>> {
    for (;;) {
      if (this.#failed) throw this.#failure;
      const queue = this.#queues[this.#ordered ? this.#head : 0];
      const item = queue?.shift();
      if (item !== undefined) {
        if (this.#ordered) this.#advanceHead();
        this.#budget.release(item.bytes);
        return { done: false, value: item.batch };
      }
      if (this.#remaining === 0) return DONE;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #advanceHead(): void {
    if (!this.#ordered) return;
    const start = this.#head;
    while (this.#head < this.#done.length && this.#done[this.#head] && this.#queues[this.#head]?.length === 0) {
      this.#head++;
    }
    // The head's queue emptied or the head moved on: its producer may now bypass the budget.
    if (this.#head !== start || this.#queues[this.#head]?.length === 0) this.#budget.poke();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
