/**
 * Reusable memory for the FlightData messages a server encodes on every DoGet.
 *
 * Encoding a batch per call used to allocate a fresh ~2 MiB ArrayBuffer per message: the
 * kernel zero-fills its pages on first touch, and V8 counts it as external memory, so a
 * 1 GiB DoGet started dozens of full garbage collections. Together those were about half
 * of the serving process's CPU (benchmarks/results/doget-analysis.md). A pool hands the
 * same few blocks out again once HTTP/2 has written them.
 *
 * Ownership: a block goes back to the pool only through {@link SendBufferPool.release},
 * which the server calls from the write callback of the message (grpc-js calls it after
 * Node's HTTP/2 stream reports the write done, and never for a call that failed or was
 * cancelled; then the block is simply left to the garbage collector). Messages never
 * escape to code that could keep them: only the DoGet writer uses the pool.
 */
import { allocateGrpcMessage, grpcFramedView } from "./grpc-framed-send.js";

/** Messages smaller than this are allocated normally (a pooled block would waste its size). */
const MIN_POOLED_BYTES = 64 * 1024;

/** Bytes a block holds beyond its message limit: gRPC prefix (5), alignment slack (7), and spare. */
const BLOCK_SLACK_BYTES = 64;

/** A free list of equally sized blocks, each one outgoing message at a time. */
export class SendBufferPool {
  readonly #blockBytes: number;
  readonly #maxFree: number;
  readonly #free: ArrayBuffer[] = [];
  readonly #ours = new WeakSet<ArrayBuffer>();

  /**
   * @param maxMessageBytes - largest message served from the pool (larger ones are allocated normally).
   * @param maxFree - blocks kept while unused; memory held at rest is at most `maxFree` blocks.
   */
  constructor(maxMessageBytes: number, maxFree = 8) {
    this.#blockBytes = maxMessageBytes + BLOCK_SLACK_BYTES;
    this.#maxFree = maxFree;
  }

  /**
   * An outgoing message of `size` bytes, byte `alignedPos` 8-aligned, framed for grpc-js
   * (see `allocateGrpcMessage`). From a pooled block when it fits; uninitialized either way.
   */
  allocate(size: number, alignedPos: number): Buffer {
    if (size < MIN_POOLED_BYTES || size + BLOCK_SLACK_BYTES > this.#blockBytes) {
      return allocateGrpcMessage(size, alignedPos);
    }
    let block = this.#free.pop();
    if (block === undefined) {
      block = new ArrayBuffer(this.#blockBytes);
      this.#ours.add(block);
    }
    return allocateGrpcMessage(size, alignedPos, block);
  }

  /** Return the block under `message` once HTTP/2 no longer needs its bytes. Other messages are ignored. */
  release(message: Uint8Array): void {
    const block = message.buffer;
    if (!(block instanceof ArrayBuffer) || !this.#ours.has(block) || grpcFramedView(message) === undefined) return;
    if (this.#free.length < this.#maxFree && !this.#free.includes(block)) this.#free.push(block);
  }

  /** Blocks currently free (for tests). */
  get freeBlocks(): number {
    return this.#free.length;
  }
}
