import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it, vi } from "vitest";
import { grpcFramedView } from "./grpc-framed-send.js";
import { startTestServer, type TestServer } from "./protocol.test-kit.js";
import { SendBufferPool } from "./send-buffer-pool.js";
import { GeneratorStream } from "./server-data-stream.js";

const MiB = 1024 * 1024;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("SendBufferPool", () => {
  it("hands a released block out again, framed and aligned, for messages of its size class", () => {
    const pool = new SendBufferPool(2 * MiB);
    const first = pool.allocate(MiB, 13);
    expect(grpcFramedView(first)).toBeDefined();
    expect((first.byteOffset + 13) % 8).toBe(0);
    pool.release(first);
    expect(pool.freeBytes).toBe(first.buffer.byteLength);
    const second = pool.allocate(MiB - 4096, 0); // same class: 1 MiB + 8 KiB
    expect(second.buffer).toBe(first.buffer);
    expect(pool.freeBytes).toBe(0);
    expect(grpcFramedView(second)!.readUInt32BE(1)).toBe(MiB - 4096);
    const larger = pool.allocate(2 * MiB, 0); // the next class up: a new block
    expect(larger.buffer).not.toBe(first.buffer);
    expect(larger.buffer.byteLength).toBeGreaterThanOrEqual(2 * MiB + 12);
  });

  it("does not pool small messages, messages over its limit, or memory it did not make", () => {
    const pool = new SendBufferPool(MiB);
    const small = pool.allocate(1000, 0);
    const large = pool.allocate(MiB + 100, 0);
    pool.release(small);
    pool.release(large);
    pool.release(Buffer.alloc(MiB));
    expect(pool.freeBytes).toBe(0);
    expect(grpcFramedView(small)).toBeDefined();
    expect(grpcFramedView(large)).toBeDefined();
  });

  it("keeps at most maxFreeBytes of free blocks, and a block released twice only once", () => {
    const pool = new SendBufferPool(MiB, 2.5 * MiB);
    const messages = [1, 2, 3].map(() => pool.allocate(MiB, 0));
    for (const m of messages) pool.release(m);
    pool.release(messages[0]!);
    expect(pool.freeBytes).toBe(2 * messages[0]!.buffer.byteLength);
  });

  it("holds a whole write buffer's worth: 17 messages released after the writer stopped are all reused", () => {
    const pool = new SendBufferPool(2 * MiB);
    const round = () => Array.from({ length: 17 }, () => pool.allocate(MiB, 0));
    const first = round();
    for (const m of first) pool.release(m);
    const again = new Set(round().map((m) => m.buffer));
    expect(first.every((m) => again.has(m.buffer))).toBe(true);
  });
});

/** Stream `id`'s batch `index`: 65,536 int64 values (512 KiB, one pooled message each) that name their position. */
function batchOf(id: number, index: number): RecordBatch {
  const values = new BigInt64Array(65_536);
  for (let i = 0; i < values.length; i++) values[i] = BigInt(id * 1_000_000_000 + index * 65_536 + i);
  return tableFromArrays({ v: values }).batches[0]!;
}

describe("pooled DoGet messages over a real socket", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  it("three concurrent slow readers behind small windows get every value of their own stream while blocks are reused", async () => {
    const BATCHES = 48;
    const reused = { count: 0 };
    const seen = new WeakSet<ArrayBufferLike>();
    const allocate = SendBufferPool.prototype.allocate;
    vi.spyOn(SendBufferPool.prototype, "allocate").mockImplementation(function (this: SendBufferPool, size, at) {
      const message = allocate.call(this, size, at);
      if (seen.has(message.buffer)) reused.count += 1;
      seen.add(message.buffer);
      return message;
    });
    t = await startTestServer({
      doGet(_ctx, ticket) {
        const id = Number(new TextDecoder().decode(ticket.ticket));
        const first = batchOf(id, 0);
        return new GeneratorStream(
          first.schema,
          (function* () {
            for (let index = 0; index < BATCHES; index++) yield batchOf(id, index);
          })(),
        );
      },
    });
    // 256 KiB windows: HTTP/2 holds each message across many turns, so a block released
    // before its bytes were written would be overwritten while still queued.
    const read = async (id: number) => {
      const client = t!.connect({ flowControlWindowBytes: 256 * 1024 });
      let index = 0;
      let mismatches = 0;
      for await (const batch of client.doGet(String(id))) {
        const values = batch.getChild("v")!.toArray() as BigInt64Array;
        const base = BigInt(id * 1_000_000_000 + index * 65_536);
        for (let i = 0; i < values.length; i++) if (values[i] !== base + BigInt(i)) mismatches += 1;
        index += 1;
        if (index % 4 === 0) for (let i = 0; i < 10; i++) await turn();
      }
      return { batches: index, mismatches };
    };
    const results = await Promise.all([read(1), read(2), read(3)]);
    expect(results).toEqual([1, 2, 3].map(() => ({ batches: BATCHES, mismatches: 0 })));
    expect(reused.count).toBeGreaterThan(0);
  });
});
