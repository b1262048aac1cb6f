/**
 * Reading and drain-waiting over the object-mode Node streams that grpc-js exposes for
 * calls; used by the server and client adapters.
 *
 * The receive side runs in flowing mode: each message is handed over in its 'data' event,
 * to the waiting reader directly or into a small queue bounded by messages and bytes, and
 * the call is paused while that queue is full, so HTTP/2 flow control holds the sender
 * back behind a slow consumer (the stream's own 16-message object buffer fills while it
 * is paused, as it did in pull mode, plus the HTTP/2 window). A failure the transport
 * reports comes after every message received before it: grpc-js emits a call's error
 * status as soon as it arrives, possibly while messages still wait in the stream's buffer,
 * and those are delivered first. A local failure ({@link MessageQueue.fail}: cancel,
 * abort) drops what is queued and rejects at once.
 *
 * Garbage collection (measured with `node --trace-gc`): how long a received message lives
 * is set by the consumer, not by this queue; pull mode and flowing mode gave the same
 * Mark-Compact counts. What promotes received messages is apache-arrow 21's `Vector`
 * constructor: V8 allocates its per-vector closures directly in the old generation
 * (function literals assigned to properties are pretenured), and they pin the batch's
 * message until the next full GC.
 */
import type { Readable, Writable } from "node:stream";
import { createFlightError, type FlightError, StatusCode } from "./flight-error.js";

/** The CANCELLED error a call reports once the other side cancelled it. */
export function cancelledError(): FlightError {
  return createFlightError(StatusCode.CANCELLED, "call cancelled");
}

/** How much a {@link MessageQueue} holds before it pauses the stream. */
export interface MessageQueueBounds {
  /** Pause the stream once this many messages wait (at least 1). */
  readonly maxMessages: number;
  /** Pause the stream once the waiting messages hold this many bytes (a larger message still fits alone). */
  readonly maxBytes: number;
}

/**
 * Default bounds: 2 messages or 2 MiB. A consumer that keeps up finds a message waiting or
 * gets it straight from the 'data' event; behind a slower one the call pauses here, and the
 * stream's own object buffer (16 messages, filled while paused) and the HTTP/2 window come
 * on top, as they did in pull mode.
 */
export const DEFAULT_MESSAGE_QUEUE_BOUNDS: MessageQueueBounds = { maxMessages: 2, maxBytes: 2 * 1024 * 1024 };

/** A waiting `read()`. */
interface Waiter {
  resolve(value: Uint8Array | undefined): void;
  reject(error: FlightError): void;
}

const END: Promise<undefined> = Promise.resolve(undefined);

/**
 * The received messages of one call, taken from an object-mode Readable in flowing mode.
 *
 * Order: messages in arrival order, then the end (`undefined`) or the transport's error,
 * which is reported after every message received before it. {@link fail} is different: a
 * local failure (cancel, abort) drops what is queued and rejects at once.
 */
export class MessageQueue {
  readonly #stream: Readable;
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #messages: Uint8Array[] = [];
  #bytes = 0;
  #paused = false;
  /** The stream ended ('end') or closed ('close'): nothing more arrives. */
  #finished = false;
  /** The transport's error, reported once the messages before it were read. */
  #transportError: FlightError | undefined;
  /** A local failure, reported at once. */
  #failure: FlightError | undefined;
  #waiter: Waiter | undefined;

  /**
   * Starts the stream flowing into the queue.
   * @param mapError turns the stream's 'error' events into FlightErrors; without it they are not listened to
   *   (a grpc-js server stream's 'error' is how the server sends its own status).
   * @throws FlightError INTERNAL when a bound is not a positive number.
   */
  constructor(
    stream: Readable,
    mapError: ((error: unknown) => FlightError) | undefined,
    bounds: MessageQueueBounds = DEFAULT_MESSAGE_QUEUE_BOUNDS,
  ) {
    if (!(bounds.maxMessages >= 1) || !(bounds.maxBytes > 0)) {
      throw createFlightError(StatusCode.INTERNAL, `invalid message queue bounds ${JSON.stringify(bounds)}`);
    }
    this.#stream = stream;
    this.#maxMessages = bounds.maxMessages;
    this.#maxBytes = bounds.maxBytes;
    stream.on("end", () => this.#finish(undefined));
    // 'close' follows 'end' on every completed call: build the CANCELLED error (a stack
    // trace, about 0.15 ms) only when the stream closed without ending.
    stream.on("close", () => {
      if (!this.#finished) this.#finish(cancelledError());
    });
    if (mapError !== undefined) {
      stream.on("error", (error: unknown) => {
        this.#transportError ??= mapError(error);
        this.#settle();
      });
    }
    stream.on("data", (message: Uint8Array) => this.#push(message));
  }

  /** Messages waiting to be read (for tests and metrics). */
  get length(): number {
    return this.#messages.length;
  }

  /** True while the stream is paused because the queue is full (for tests and metrics). */
  get paused(): boolean {
    return this.#paused;
  }

  /** Fails the queue now: queued messages are dropped; pending and later reads reject with `error` (the first failure wins). */
  fail(error: FlightError): void {
    this.#failure ??= error;
    this.#messages.length = 0;
    this.#bytes = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
  }

  /**
   * Next message; undefined after a clean end; rejects with the failure. One read at a
   * time. A queued message comes back as an already-resolved promise.
   */
  read(): Promise<Uint8Array | undefined> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const message = this.#messages.shift();
    if (message !== undefined) {
      this.#bytes -= message.byteLength;
      if (this.#paused && this.#belowResumeMark()) {
        this.#paused = false;
        this.#stream.resume();
      }
      return Promise.resolve(message);
    }
    if (this.#drained()) {
      return this.#transportError === undefined ? END : Promise.reject(this.#transportError);
    }
    if (this.#paused) {
      // Cannot happen with positive bounds; never leave a reader waiting on a paused stream.
      this.#paused = false;
      this.#stream.resume();
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #push(message: Uint8Array): void {
    if (this.#failure !== undefined) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(message);
      return;
    }
    this.#messages.push(message);
    this.#bytes += message.byteLength;
    if (!this.#paused && (this.#messages.length >= this.#maxMessages || this.#bytes >= this.#maxBytes)) {
      this.#paused = true;
      this.#stream.pause();
    }
  }

  /** Resume once the queue is down to half of both bounds. */
  #belowResumeMark(): boolean {
    return this.#messages.length * 2 <= this.#maxMessages && this.#bytes * 2 <= this.#maxBytes;
  }

  /**
   * No message can arrive any more: the stream finished, or it failed and its buffer is
   * empty (grpc-js reports a call's error right after its last message was pushed, before
   * 'end', which waits for the buffer to be read).
   */
  #drained(): boolean {
    return this.#finished || (this.#transportError !== undefined && this.#stream.readableLength === 0);
  }

  #finish(unexpected: FlightError | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    if (unexpected !== undefined) this.#transportError ??= unexpected;
    this.#settle();
  }

  /** Answers a waiting read once nothing more can arrive. */
  #settle(): void {
    const waiter = this.#waiter;
    if (waiter === undefined || this.#failure !== undefined || !this.#drained()) return;
    this.#waiter = undefined;
    if (this.#transportError === undefined) waiter.resolve(undefined);
    else waiter.reject(this.#transportError);
  }
}

/** Waits for 'drain' on a Writable; rejects once the call is over. */
export class DrainWaiter {
  readonly #stream: Writable;
  #closed: (() => FlightError) | undefined;
  readonly #waiters: Array<{ resolve(): void; reject(error: FlightError): void }> = [];

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on("drain", () => {
      for (const w of this.#waiters.splice(0)) w.resolve();
    });
  }

  /** The call ended: pending and later waits reject with `reason()`. */
  close(reason: () => FlightError): void {
    this.#closed ??= reason;
    const error = this.#closed();
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  /** Resolves now if the stream has room, else on 'drain'; rejects once closed. */
  wait(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed());
    if (!this.#stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}
