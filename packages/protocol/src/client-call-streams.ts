/**
 * Pieces of the client's streaming calls: the DoPut writer whose `close()` waits for the
 * server, the shapes `doPut`/`doExchange` return, and small helpers that turn a call's
 * byte messages into async iterables without stacking generators.
 */

import type { FlightError } from "./flight-error.js";
import type { PutResult } from "./flight-messages.js";
import type { FlightStreamReader } from "./flight-stream-reader.js";
import { type FlightMessageSink, FlightStreamWriter, type FlightStreamWriterOptions } from "./flight-stream-writer.js";
import type { ClientStreamAdapter } from "./grpc-channel.js";

/** DoPut writer: a {@link FlightStreamWriter} whose `close()` also waits for the server. */
export class FlightPutWriter extends FlightStreamWriter {
  readonly #finish: () => Promise<void>;

  /** @internal */
  constructor(sink: FlightMessageSink, options: FlightStreamWriterOptions, finish: () => Promise<void>) {
    super(sink, options);
    this.#finish = finish;
  }

  /** Half-closes (if not done yet) and resolves when the server finished the call; rejects with its error. */
  async close(): Promise<void> {
    await this.done();
    await this.#finish();
  }
}

/** What `doPut` returns. */
export interface DoPutCall {
  readonly writer: FlightPutWriter;
  /**
   * The server's acknowledgements. Once iterated, the caller must keep reading them until
   * the end (or `writer.close()` may wait for the server forever); if never iterated,
   * `writer.close()` discards them.
   */
  readonly results: AsyncIterable<PutResult>;
}

/** What `doExchange` returns. */
export interface DoExchangeCall {
  readonly writer: FlightStreamWriter;
  readonly reader: FlightStreamReader;
}

/** Tracks a call's end so it can be awaited later without unhandled rejections. */
export class Completion {
  #done = false;
  #error: FlightError | undefined;
  readonly #waiters: Array<{ resolve(): void; reject(e: FlightError): void }> = [];

  /** Records the outcome (first call wins); `undefined` means OK. */
  complete(error: FlightError | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    for (const w of this.#waiters.splice(0)) error === undefined ? w.resolve() : w.reject(error);
  }

  /** Resolves when the call ended OK; rejects with its error. */
  wait(): Promise<void> {
    if (this.#done) return this.#error === undefined ? Promise.resolve() : Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}

/** Serializes reads of one stream so two consumers never wait on it at once. */
export function serialReader(call: ClientStreamAdapter): () => Promise<Uint8Array | undefined> {
  let tail: Promise<unknown> = Promise.resolve();
  return () => {
    const next = tail.then(() => call.read());
    tail = next.catch(() => undefined);
    return next;
  };
}

/** A single-use async iterable over `read()`, decoding each message; `return()` runs `cancel`. */
export function iterateMessages<T>(
  read: () => Promise<Uint8Array | undefined>,
  decode: (b: Uint8Array) => T,
  cancel?: () => void,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<T, undefined>> {
        const message = await read();
        return message === undefined ? { done: true, value: undefined } : { done: false, value: decode(message) };
      },
      async return(): Promise<IteratorResult<T, undefined>> {
        cancel?.();
        return { done: true, value: undefined };
      },
    }),
  };
}
