/**
 * Pull-based reading and drain-waiting over the object-mode Node streams that grpc-js
 * exposes for calls; used by the server and client adapters.
 */
import type { Readable, Writable } from "node:stream";
import { createFlightError, type FlightError, StatusCode } from "./flight-error.js";

/** The CANCELLED error a call reports once the other side cancelled it. */
export function cancelledError(): FlightError {
  return createFlightError(StatusCode.CANCELLED, "call cancelled");
}

/**
 * Pulls messages from an object-mode Readable one at a time with `read()`, so the
 * stream's own high-water mark (16 messages) is the only buffer and HTTP/2 flow
 * control pushes back on the sender when the consumer is slow.
 */
export class MessageQueue {
  readonly #stream: Readable;
  #ended = false;
  #failure: FlightError | undefined;
  #waiter: { resolve(value: Uint8Array | undefined): void; reject(error: FlightError): void } | undefined;

  constructor(stream: Readable, mapError: ((error: unknown) => FlightError) | undefined) {
    this.#stream = stream;
    stream.on("readable", () => this.#wake());
    stream.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    stream.on("close", () => {
      if (!this.#ended) this.#failure ??= cancelledError();
      this.#wake();
    });
    if (mapError !== undefined) {
      stream.on("error", (error: unknown) => {
        this.#failure ??= mapError(error);
        this.#wake();
      });
    }
  }

  /** Fails the queue: pending and later reads reject with `error` (the first failure wins). */
  fail(error: FlightError): void {
    this.#failure ??= error;
    this.#wake();
  }

  /** Next message; undefined after a clean end; rejects with the failure. One read at a time. */
  read(): Promise<Uint8Array | undefined> {
    const chunk: Uint8Array | null = this.#failure === undefined ? this.#stream.read() : null;
    if (chunk !== null) return Promise.resolve(chunk);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#failure !== undefined) {
      this.#waiter = undefined;
      waiter.reject(this.#failure);
      return;
    }
    const chunk: Uint8Array | null = this.#stream.read();
    if (chunk !== null) {
      this.#waiter = undefined;
      waiter.resolve(chunk);
    } else if (this.#ended) {
      this.#waiter = undefined;
      waiter.resolve(undefined);
    }
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
