/**
 * DoGet through receive threads (grpc-thread-pool.ts, grpc-receive-thread.ts) against a real
 * server on a real socket: the same batches as on the main thread, several calls spread over
 * the threads at once, errors as the same FlightError classes with middleware seeing headers,
 * completion and trailers, an abort reaching the server's handler, backpressure across the
 * thread boundary, and no handle left when the client is closed.
 */
import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { FlightCancelledError, FlightError, FlightNotFoundError, StatusCode } from "./flight-error.js";
import { encodeTicket } from "./flight-messages-codec.js";
import { ReceiveThreadPool } from "./grpc-thread-pool.js";
import type { ClientMiddleware } from "./middleware.js";
import { endlessStream, startTestServer, type TestServer } from "./protocol.test-kit.js";
import { RecordBatchStream } from "./server-data-stream.js";

const ROWS = 1_500_000;
const table = tableFromArrays({
  id: Int32Array.from({ length: ROWS }, (_, i) => i),
  value: Float64Array.from({ length: ROWS }, (_, i) => i / 4),
});
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Reads a DoGet and checks every value at both ends of every batch; returns rows. */
async function readChecked(
  batches: AsyncIterable<{ numRows: number; getChildAt(i: number): { get(i: number): unknown } | null }>,
): Promise<number> {
  let rows = 0;
  for await (const batch of batches) {
    const ids = batch.getChildAt(0);
    const values = batch.getChildAt(1);
    const last = batch.numRows - 1;
    expect([ids?.get(0), ids?.get(last), values?.get(last)]).toEqual([rows, rows + last, (rows + last) / 4]);
    rows += batch.numRows;
  }
  return rows;
}

describe("DoGet in receive threads", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("delivers the same batches as the main thread, for several calls at once", async () => {
    t = await startTestServer({ doGet: () => new RecordBatchStream(table) });
    const threaded = t.connect({ receiveThreads: 2 });
    const results = await Promise.all([1, 2, 3].map(() => readChecked(threaded.doGet("t"))));
    expect(results).toEqual([ROWS, ROWS, ROWS]);
    expect(await readChecked(t.client.doGet("t"))).toBe(ROWS);
  });

  it("reports errors as the same FlightError classes, and middleware sees what it sees on the main thread", async () => {
    t = await startTestServer({
      doGet(_ctx, ticket) {
        if (new TextDecoder().decode(ticket.ticket) === "missing") throw new FlightNotFoundError("no table missing");
        return new RecordBatchStream(table);
      },
    });
    const observe = async (receiveThreads: number): Promise<string[]> => {
      const seen: string[] = [];
      const middleware: ClientMiddleware = {
        receivedHeaders: (headers) => seen.push(`headers ${Object.keys(headers).sort().join(",")}`),
        callCompleted: (error, trailers) =>
          seen.push(`completed ${error?.message ?? "ok"} ${Object.keys(trailers).sort().join(",")}`),
      };
      const client = (t as TestServer).connect({ receiveThreads, middleware: [{ startCall: () => middleware }] });
      await expect(readChecked(client.doGet("missing"))).rejects.toThrow(FlightNotFoundError);
      await expect(readChecked(client.doGet("missing"))).rejects.toThrow("no table missing");
      expect(await readChecked(client.doGet("t"))).toBe(ROWS);
      return seen;
    };
    const threaded = await observe(2);
    expect(threaded.filter((s) => s.startsWith("completed")).length).toBe(3);
    expect(threaded).toEqual(await observe(0));
  });

  it("an abort rejects at once, reaches the server's handler, and leaves no handle behind", async () => {
    let stopped: (reason: unknown) => void = () => {};
    const handlerStopped = new Promise((resolve) => {
      stopped = resolve;
    });
    const batch = table.batches[0];
    if (batch === undefined) throw new Error("no batch");
    t = await startTestServer({
      doGet(ctx) {
        ctx.signal.addEventListener("abort", () => stopped(ctx.signal.reason), { once: true });
        return endlessStream(batch);
      },
    });
    const before = process.getActiveResourcesInfo().sort();
    const client = t.connect({ receiveThreads: 2 });
    const controller = new AbortController();
    let read = 0;
    await expect(
      (async () => {
        for await (const _ of client.doGet("forever", { signal: controller.signal })) {
          if (++read === 3) controller.abort();
        }
      })(),
    ).rejects.toThrow(FlightCancelledError);
    expect(await handlerStopped).toBeInstanceOf(FlightCancelledError);
    client.close();
    await t.close();
    t = undefined;
    // Nothing of ours is left: no kind of resource is more numerous than before the client.
    const count = (list: string[]) => list.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    const was = count(before);
    for (const [kind, n] of count(process.getActiveResourcesInfo()))
      expect([kind, n]).toEqual([kind, Math.min(n, was.get(kind) ?? 0)]);
  });

  it("holds the server back behind a slow consumer: messages ahead of it stay bounded", async () => {
    let produced = 0;
    const batch = tableFromArrays({ x: new Float64Array(32_768).fill(1.5) }).batches[0];
    if (batch === undefined) throw new Error("no batch");
    t = await startTestServer({
      doGet: () =>
        endlessStream(batch, () => {
          produced += 1;
        }),
    });
    // 1 MiB windows (4 messages of 256 KiB): 16 (server stream buffer) + 4 (window) + 16 (the
    // thread's grpc-js buffer) + 4 (read-ahead across the thread boundary) + a few in transit.
    const client = t.connect({
      receiveThreads: 1,
      flowControlWindowBytes: 1024 * 1024,
      maxFlowControlWindowBytes: 1024 * 1024,
    });
    let consumed = 0;
    let maxAhead = 0;
    for await (const b of client.doGet("infinite")) {
      expect(b.numRows).toBe(32_768);
      consumed += 1;
      for (let i = 0; i < 20; i++) await turn();
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed === 150) break;
    }
    expect(maxAhead).toBeGreaterThan(4);
    expect(maxAhead).toBeLessThanOrEqual(52);
  });

  it("fails the calls of a thread that dies, once each, and serves later calls on a fresh thread", async () => {
    const batch = table.batches[0];
    if (batch === undefined) throw new Error("no batch");
    t = await startTestServer({
      doGet: () => endlessStream(batch),
    });
    const pool = new ReceiveThreadPool(1);
    const settings = {
      maxReceiveMessageBytes: 64 << 20,
      maxSendMessageBytes: 64 << 20,
      flowControlWindowBytes: 1 << 24,
      maxFlowControlWindowBytes: 1 << 24,
      grpcOptions: {},
    };
    const open = (completions: Array<FlightError | undefined>) =>
      pool.serverStream(
        { kind: "tcp", host: "127.0.0.1", port: (t as TestServer).port },
        settings,
        "DoGet",
        encodeTicket({ ticket: new Uint8Array([1]) }),
        {
          headers: {},
          onComplete: (error) => completions.push(error),
        },
      );
    const completions: Array<FlightError | undefined> = [];
    const call = open(completions);
    expect(await call.read()).toBeInstanceOf(Uint8Array);
    await pool.killThreads();
    let error: unknown;
    try {
      for (;;) if ((await call.read()) === undefined) break;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlightError);
    expect((error as FlightError).code).toBe(StatusCode.INTERNAL);
    expect((error as FlightError).message).toMatch(/receive thread (exited|failed)/);
    expect(completions).toHaveLength(1);
    const later = open([]);
    expect(await later.read()).toBeInstanceOf(Uint8Array);
    later.cancel();
    await pool.killThreads();
  });
});
