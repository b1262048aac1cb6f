/**
 * Reusable memory for the FlightData messages a server encodes on every DoGet.
 *
 * Encoding a batch per call used to allocate a fresh ~1-2 MiB ArrayBuffer per message:
 * the kernel zero-fills its pages on first touch, and V8 counts it as external memory, so
 * a 1 GiB DoGet started dozens of full garbage collections. Together those were about
 * half of the serving process's CPU (benchmarks/results/doget-analysis.md). A pool hands
 * the same blocks out again once HTTP/2 has written them.
 *
 * Blocks come in size classes (a power of two plus 8 KiB, so that a 1 MiB body with its
 * header and framing still fits the 1 MiB class). The free blocks are capped in bytes,
 * not in count: a DoGet has up to 17 messages in flight (grpc-js's 16-message write buffer
 * and the one HTTP/2 is writing), and they come back one by one after the writer has
 * stopped to wait for the buffer to drain, so the cap must hold a whole buffer's worth or
 * every other round allocates afresh.
 *
 * Ownership: a block goes back to the pool only through {@link SendBufferPool.release},
 * which the server calls from the write callback of the message (grpc-js calls it after
 * Node's HTTP/2 stream reports the write done, and never for a call that failed or was
 * cancelled; then the block is simply left to the garbage collector). Messages never
 * escape to code that could keep them: only the DoGet writers use the pool.
 */
import { allocateGrpcMessage, grpcFramedView } from "./grpc-framed-send.js";

/** Messages smaller than this are allocated normally (a pooled block would waste its size). */
const MIN_POOLED_BYTES = 64 * 1024;

/** Bytes every block holds beyond its power of two: header, gRPC prefix (5) and alignment (7). */
const CLASS_SLACK_BYTES = 8 * 1024;

/** Default cap on the bytes of free blocks a pool keeps: 40 MiB. */
export const DEFAULT_POOL_FREE_BYTES = 40 * 1024 * 1024;

/** Size of the smallest block class holding a message of `size` bytes. */
function blockBytesFor(size: number): number {
  let power = MIN_POOLED_BYTES;
  while (power + CLASS_SLACK_BYTES < size + 12) power *= 2;
  return power + CLASS_SLACK_BYTES;
}

/** Free lists of blocks by size class, each block one outgoing message at a time. */
export class SendBufferPool {
  readonly #maxPooledBytes: number;
  readonly #maxFreeBytes: number;
  readonly #free = new Map<number, ArrayBuffer[]>();
  readonly #ours = new WeakSet<ArrayBuffer>();
  #freeBytes = 0;

  /**
   * @param maxMessageBytes - largest message served from the pool (larger ones, such as a
   *   single row over the limit, are allocated normally).
   * @param maxFreeBytes - bytes of free blocks kept for reuse; memory a pool holds at rest
   *   is at most this (default {@link DEFAULT_POOL_FREE_BYTES}).
   */
  constructor(maxMessageBytes: number, maxFreeBytes = DEFAULT_POOL_FREE_BYTES) {
    this.#maxPooledBytes = maxMessageBytes + 64;
    this.#maxFreeBytes = maxFreeBytes;
  }

  /**
   * An outgoing message of `size` bytes, byte `alignedPos` 8-aligned, framed for grpc-js
   * (see `allocateGrpcMessage`). From a pooled block when it fits; uninitialized either way.
   */
  allocate(size: number, alignedPos: number): Buffer {
    if (size < MIN_POOLED_BYTES || size > this.#maxPooledBytes) return allocateGrpcMessage(size, alignedPos);
    const bytes = blockBytesFor(size);
    let block = this.#free.get(bytes)?.pop();
    if (block === undefined) {
      block = new ArrayBuffer(bytes);
      this.#ours.add(block);
    } else {
      this.#freeBytes -= bytes;
    }
    return allocateGrpcMessage(size, alignedPos, block);
  }

  /** Return the block under `message` once HTTP/2 no longer needs its bytes. Other messages are ignored. */
  release(message: Uint8Array): void {
    const block = message.buffer;
    if (!(block instanceof ArrayBuffer) || !this.#ours.has(block) || grpcFramedView(message) === undefined) return;
    if (this.#freeBytes + block.byteLength > this.#maxFreeBytes) return;
    let list = this.#free.get(block.byteLength);
    if (list === undefined) {
      list = [];
      this.#free.set(block.byteLength, list);
    }
    if (list.includes(block)) return;
    list.push(block);
    this.#freeBytes += block.byteLength;
  }

  /** Bytes of free blocks held now (for tests and diagnostics). */
  get freeBytes(): number {
    return this.#freeBytes;
  }
}
