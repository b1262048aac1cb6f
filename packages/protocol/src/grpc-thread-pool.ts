/**
 * Server-streaming calls run in worker threads, their messages decoded on the main thread.
 *
 * Measured (docs/client.md, "Threads or the main thread?"): on two cores, reading DoGet
 * streams in two worker threads (each with its own grpc-js channels) and transferring every
 * message buffer to the main thread, which decodes it, read 1.15-1.32 x faster than doing
 * everything on the main thread: receiving (HTTP/2, framing, the receive copy, chunk garbage)
 * and decoding then run on different cores.
 *
 * {@link ReceiveThreadPool.serverStream} returns the same {@link ClientStreamAdapter} the
 * main-thread channel does, so readers, middleware and the cluster client above are unchanged:
 * response headers and the completion (error and trailers) are replayed to the call's
 * `ClientCallSetup` callbacks, errors arrive as the same FlightError classes, and aborting
 * the call's signal or `cancel()` cancels the thread's call (the server sees CANCELLED).
 * Backpressure crosses the boundary as credits: a thread posts at most
 * {@link READ_AHEAD_MESSAGES} messages the main thread has not read yet, and otherwise stops
 * reading, so HTTP/2 flow control holds the server back as it does on the main thread.
 * A message that owns its ArrayBuffer whole is transferred without a copy; one that lives in
 * a shared buffer (Node's 8 KiB pool for small messages) is copied.
 *
 * Threads are shared by every client of the process that asks for them, started on first
 * use, and keep the process alive only while a call is in flight (`unref` when idle).
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { IncomingHeaders } from "./call-options.js";
import { createFlightError, type FlightError, StatusCode } from "./flight-error.js";
import type { ChannelTarget, ClientCallSetup, ClientStreamAdapter, GrpcChannelSettings } from "./grpc-channel.js";
import { cancelledError } from "./grpc-message-queue.js";
import type { FromThread, ThreadError, ToThread } from "./grpc-receive-thread.js";
import type { FlightMethod } from "./grpc-service.js";
import { flightErrorFromAbort } from "./grpc-status.js";

/** Messages a thread may post ahead of the main thread's reads, per call. */
export const READ_AHEAD_MESSAGES = 4;
/** Reads reported back to a thread at once (fewer messages across the boundary). */
const CREDIT_BATCH = 2;

function fromThreadError(e: ThreadError): FlightError {
  return createFlightError(e.code as StatusCode, e.message, { metadata: e.metadata as FlightError["metadata"] });
}

/** Locate the compiled thread entry (dist/grpc-receive-thread.js), also when running from src/. */
function threadEntry(): URL {
  const here = fileURLToPath(new URL("./grpc-receive-thread.js", import.meta.url));
  const candidates = [
    here,
    here.replace(/([/\\])src([/\\])grpc-receive-thread\.js$/, "$1dist$2grpc-receive-thread.js"),
  ];
  for (const c of candidates) if (existsSync(c)) return pathToFileURL(c);
  throw createFlightError(
    StatusCode.INTERNAL,
    `receive thread entry not found (${candidates.join(", ")}); build with tsc --build`,
  );
}

/** The main-thread end of one call. */
class ThreadCall {
  readonly messages: Uint8Array[] = [];
  headers: IncomingHeaders | undefined;
  readonly headerWaiters: Array<(h: IncomingHeaders) => void> = [];
  waiter: { resolve: (m: Uint8Array | undefined) => void; reject: (e: FlightError) => void } | undefined;
  ended = false;
  failure: FlightError | undefined;
  /** The thread sent the stream's last word (`end` or `error`). */
  streamDone = false;
  /** The thread sent the call's status. */
  completed = false;
  /** Messages read but not yet granted back to the thread. */
  unreported = 0;
  readonly setup: ClientCallSetup;

  constructor(setup: ClientCallSetup) {
    this.setup = setup;
  }

  /** Settle a waiting read from what has arrived. */
  settle(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    if (this.messages.length > 0) {
      this.waiter = undefined;
      waiter.resolve(this.messages.shift());
    } else if (this.failure !== undefined) {
      this.waiter = undefined;
      waiter.reject(this.failure);
    } else if (this.ended) {
      this.waiter = undefined;
      waiter.resolve(undefined);
    }
  }

  gotHeaders(headers: IncomingHeaders): void {
    if (this.headers !== undefined) return;
    this.headers = headers;
    this.setup.onHeaders?.(headers);
    for (const w of this.headerWaiters.splice(0)) w(headers);
  }

  /** The call ended: `headers()` resolves (empty if none came); middleware hears of no headers it did not get. */
  endHeaders(): void {
    this.headers ??= {};
    for (const w of this.headerWaiters.splice(0)) w(this.headers);
  }
}

/** One worker thread and the calls it runs. */
class ReceiveThread {
  readonly #worker: Worker;
  readonly #calls = new Map<number, ThreadCall>();
  /** The thread failed or exited: the pool replaces it. */
  dead = false;

  constructor(entry: URL) {
    this.#worker = new Worker(entry);
    this.#worker.on("message", (m: FromThread) => this.#onMessage(m));
    this.#worker.on("error", (error) =>
      this.#failAll(createFlightError(StatusCode.INTERNAL, `receive thread failed: ${error.message}`)),
    );
    this.#worker.on("exit", (code) =>
      this.#failAll(createFlightError(StatusCode.INTERNAL, `receive thread exited (code ${code})`)),
    );
    // After the listeners: adding a 'message' listener refs the worker's port again.
    this.#worker.unref();
  }

  get active(): number {
    return this.#calls.size;
  }

  /** Stops the thread as a crash would (tests). */
  async kill(): Promise<void> {
    await this.#worker.terminate();
  }

  start(id: number, call: ThreadCall, open: ToThread): void {
    if (this.#calls.size === 0) this.#worker.ref();
    this.#calls.set(id, call);
    this.#worker.postMessage(open);
    this.#worker.postMessage({ type: "credit", id, n: READ_AHEAD_MESSAGES } satisfies ToThread);
  }

  /** One message of call `id` was read: the thread may post another (granted in batches of {@link CREDIT_BATCH}). */
  credit(id: number): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    call.unreported++;
    if (call.unreported < CREDIT_BATCH) return;
    this.#worker.postMessage({ type: "credit", id, n: call.unreported } satisfies ToThread);
    call.unreported = 0;
  }

  cancel(id: number, error: FlightError): void {
    const call = this.#calls.get(id);
    if (call === undefined) return;
    this.#worker.postMessage({ type: "cancel", id } satisfies ToThread);
    call.messages.length = 0;
    call.failure ??= error;
    call.settle();
  }

  #finish(id: number): void {
    if (!this.#calls.delete(id)) return;
    if (this.#calls.size === 0) this.#worker.unref();
  }

  #onMessage(m: FromThread): void {
    const call = this.#calls.get(m.id);
    if (call === undefined) return;
    switch (m.type) {
      case "headers":
        call.gotHeaders(m.headers);
        return;
      case "message":
        if (call.failure === undefined) call.messages.push(new Uint8Array(m.buffer, m.offset, m.length));
        break;
      case "end":
        call.ended = true;
        call.streamDone = true;
        break;
      case "error":
        call.failure ??= fromThreadError(m.error);
        call.streamDone = true;
        break;
      case "complete": {
        const signal = call.setup.signal;
        const error =
          m.error === undefined ? undefined : signal?.aborted ? flightErrorFromAbort(signal) : fromThreadError(m.error);
        call.completed = true;
        call.endHeaders();
        call.setup.onComplete?.(error, m.trailers);
        break;
      }
    }
    if (call.streamDone && call.completed) this.#finish(m.id);
    call.settle();
  }

  #failAll(error: FlightError): void {
    this.dead = true;
    for (const [id, call] of this.#calls) {
      call.failure ??= error;
      call.endHeaders();
      if (!call.completed) call.setup.onComplete?.(error, {});
      call.completed = true;
      call.settle();
      this.#finish(id);
    }
  }
}

/** A fixed set of receive threads; calls go to the least busy. */
export class ReceiveThreadPool {
  readonly #threads: ReceiveThread[];
  readonly #entry: URL;
  #nextId = 1;

  /** @param threads - worker threads to start, at least 1. */
  constructor(threads: number) {
    this.#entry = threadEntry();
    this.#threads = Array.from({ length: Math.max(1, threads) }, () => new ReceiveThread(this.#entry));
  }

  /** Threads in the pool. */
  get size(): number {
    return this.#threads.length;
  }

  /** Stops every thread as a crash would (tests: calls fail, later calls get fresh threads). */
  async killThreads(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.kill()));
  }

  /** Starts `method` on a thread's channel to `target`; the adapter reads its messages here. */
  serverStream(
    target: ChannelTarget,
    settings: GrpcChannelSettings,
    method: FlightMethod,
    request: Uint8Array,
    setup: ClientCallSetup,
  ): ClientStreamAdapter {
    // A thread that failed or exited (its calls were failed) is replaced by a fresh one.
    for (let i = 0; i < this.#threads.length; i++) {
      if (this.#threads[i]?.dead === true) this.#threads[i] = new ReceiveThread(this.#entry);
    }
    const thread = this.#threads.reduce((a, b) => (b.active < a.active ? b : a));
    const id = this.#nextId++;
    const signal = setup.signal;
    const onAbort = () => thread.cancel(id, flightErrorFromAbort(signal as AbortSignal));
    const call = new ThreadCall({
      ...setup,
      onComplete(error, trailers) {
        signal?.removeEventListener("abort", onAbort);
        setup.onComplete?.(error, trailers);
      },
    });
    if (signal?.aborted) {
      // Never started: fail the reads and tell the middleware, once, as the channel does.
      const error = flightErrorFromAbort(signal);
      call.failure = error;
      call.ended = true;
      call.endHeaders();
      queueMicrotask(() => call.setup.onComplete?.(error, {}));
    } else {
      signal?.addEventListener("abort", onAbort, { once: true });
      thread.start(id, call, {
        type: "open",
        id,
        target,
        settings,
        method,
        request: request.slice(),
        headers: setup.headers,
        deadlineMs: setup.deadline?.getTime(),
      });
    }
    return {
      read() {
        if (call.messages.length > 0) {
          thread.credit(id);
          return Promise.resolve(call.messages.shift());
        }
        if (call.failure !== undefined) return Promise.reject(call.failure);
        if (call.ended) return Promise.resolve(undefined);
        return new Promise<Uint8Array | undefined>((resolve, reject) => {
          call.waiter = {
            resolve: (m) => {
              if (m !== undefined) thread.credit(id);
              resolve(m);
            },
            reject,
          };
        });
      },
      write() {
        throw createFlightError(StatusCode.INTERNAL, `${method} has no request stream`);
      },
      drained: () => Promise.resolve(),
      halfClose() {},
      cancel: () => thread.cancel(id, cancelledError()),
      headers() {
        if (call.headers !== undefined) return Promise.resolve(call.headers);
        return new Promise((resolve) => call.headerWaiters.push(resolve));
      },
    };
  }
}

let shared: ReceiveThreadPool | undefined;

/** The process's receive threads, started on first use with `threads` threads (later calls reuse them). */
export function sharedReceiveThreads(threads: number): ReceiveThreadPool {
  shared ??= new ReceiveThreadPool(threads);
  return shared;
}
