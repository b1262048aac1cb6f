import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createFlightError, FlightCancelledError, FlightError, StatusCode } from "./flight-error.js";
import { MessageQueue } from "./grpc-message-queue.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Mimics a grpc-js call stream: an object-mode Readable that produces one message per `_read`. */
function source(count: number, bytes = 1024): { stream: Readable; produced(): number } {
  let produced = 0;
  const stream = new Readable({
    objectMode: true,
    read() {
      if (produced === count) {
        this.push(null);
        return;
      }
      const message = new Uint8Array(bytes);
      message[0] = produced % 256;
      produced += 1;
      this.push(message);
    },
  });
  return { stream, produced: () => produced };
}

const mapError = (error: unknown): FlightError =>
  createFlightError(StatusCode.NOT_FOUND, error instanceof Error ? error.message : String(error));

describe("MessageQueue (flowing mode, bounded)", () => {
  it("behind a consumer that does not read, the stream pauses: what is produced stays bounded", async () => {
    const { stream, produced } = source(1000);
    const queue = new MessageQueue(stream, mapError, { maxMessages: 2, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 20; i++) await turn();
    expect(queue.paused).toBe(true);
    expect(queue.length).toBe(2);
    // The queue's bound plus the stream's own object buffer (16), filled while paused.
    expect(produced()).toBeLessThanOrEqual(2 + 16 + 1);
    const first = produced();
    for (let i = 0; i < 20; i++) await turn();
    expect(produced()).toBe(first);
    // Reading everything returns every message once, in order, then the end.
    for (let i = 0; i < 1000; i++) expect((await queue.read())?.[0]).toBe(i % 256);
    expect(await queue.read()).toBeUndefined();
    expect(await queue.read()).toBeUndefined();
  });

  it("pauses on bytes too: one message at the byte bound is enough", async () => {
    const { stream, produced } = source(100, 64 * 1024);
    const queue = new MessageQueue(stream, mapError, { maxMessages: 100, maxBytes: 64 * 1024 });
    for (let i = 0; i < 20; i++) await turn();
    expect(queue.paused).toBe(true);
    expect(queue.length).toBe(1);
    expect(produced()).toBeLessThanOrEqual(1 + 16 + 1);
  });

  it("a waiting read gets the next message straight from its 'data' event; the end answers a waiting read", async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const queue = new MessageQueue(stream, mapError);
    const pending = queue.read();
    stream.push(new Uint8Array([7]));
    expect((await pending)?.[0]).toBe(7);
    expect(queue.length).toBe(0);
    const end = queue.read();
    stream.push(null);
    expect(await end).toBeUndefined();
  });

  it("a transport error comes after every message received before it, even those still in the stream's buffer", async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const queue = new MessageQueue(stream, mapError, { maxMessages: 1, maxBytes: 1024 });
    for (let i = 0; i < 5; i++) stream.push(new Uint8Array([i]));
    // As grpc-js does on an error status: end the stream, then emit the error at once.
    stream.push(null);
    stream.emit("error", new Error("gone"));
    await turn();
    expect(queue.paused).toBe(true);
    for (let i = 0; i < 5; i++) expect((await queue.read())?.[0]).toBe(i);
    const error = await queue.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlightError);
    expect((error as FlightError).code).toBe(StatusCode.NOT_FOUND);
    expect((error as FlightError).message).toContain("gone");
    // The failure stays: later reads reject with it too.
    await expect(queue.read()).rejects.toBe(error);
  });

  it("an error while a read waits rejects it", async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const queue = new MessageQueue(stream, mapError);
    const pending = queue.read();
    stream.push(null);
    stream.emit("error", new Error("boom"));
    await expect(pending).rejects.toThrow("boom");
  });

  it("a stream destroyed without an end reports CANCELLED after the queued messages", async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const queue = new MessageQueue(stream, undefined);
    stream.push(new Uint8Array([1]));
    await turn();
    stream.destroy();
    await turn();
    expect((await queue.read())?.[0]).toBe(1);
    await expect(queue.read()).rejects.toBeInstanceOf(FlightCancelledError);
  });

  it("fail() drops what is queued and rejects pending and later reads at once; later messages are ignored", async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const queue = new MessageQueue(stream, mapError);
    stream.push(new Uint8Array([1]));
    await turn();
    expect(queue.length).toBe(1);
    const cancelled = createFlightError(StatusCode.CANCELLED, "stop");
    queue.fail(cancelled);
    expect(queue.length).toBe(0);
    await expect(queue.read()).rejects.toBe(cancelled);
    stream.push(new Uint8Array([2]));
    await turn();
    expect(queue.length).toBe(0);
    await expect(queue.read()).rejects.toBe(cancelled);

    const other = new Readable({ objectMode: true, read() {} });
    const waiting = new MessageQueue(other, mapError);
    const pending = waiting.read();
    waiting.fail(cancelled);
    await expect(pending).rejects.toBe(cancelled);
  });

  it("rejects bounds that could never hold a message", () => {
    const stream = new Readable({ objectMode: true, read() {} });
    expect(() => new MessageQueue(stream, mapError, { maxMessages: 0, maxBytes: 1 })).toThrow(
      "invalid message queue bounds",
    );
    expect(() => new MessageQueue(stream, mapError, { maxMessages: 1, maxBytes: 0 })).toThrow(
      "invalid message queue bounds",
    );
  });
});
