import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { FlightCancelledError, FlightError, StatusCode } from "./flight-error.js";
import { endlessStream, startTestServer, type TestServer, utf8 } from "./protocol.test-kit.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One 256 KiB batch (32768 float64 values), reused for every message. */
const batch = tableFromArrays({ x: new Float64Array(32_768).fill(1.5) }).batches[0]!;

describe("backpressure and cancellation over a real socket", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("a slow DoGet consumer holds the server back: frames written ahead of it stay bounded; cancelling stops the handler", async () => {
    let produced = 0;
    let stopped: (reason: unknown) => void = () => {};
    const handlerStopped = new Promise((resolve) => {
      stopped = resolve;
    });
    t = await startTestServer({
      doGet(ctx) {
        ctx.signal.addEventListener("abort", () => stopped(ctx.signal.reason), { once: true });
        return endlessStream(batch, () => {
          produced += 1;
        });
      },
    });
    // A 1 MiB flow-control window (4 messages in flight): the bound below is
    // 16 (server stream buffer) + 4 (window) + 16 (client stream buffer) + a few in transit.
    const client = t.connect({ flowControlWindowBytes: 1024 * 1024 });
    const reader = client.doGet("infinite");
    let consumed = 0;
    let maxAhead = 0;
    for await (const b of reader) {
      expect(b.numRows).toBe(32_768);
      consumed += 1;
      for (let i = 0; i < 20; i++) await turn(); // a slow consumer
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed === 150) break; // cancels the call
    }
    expect(maxAhead).toBeGreaterThan(4);
    expect(maxAhead).toBeLessThanOrEqual(48);
    const reason = await handlerStopped;
    expect(reason).toBeInstanceOf(FlightCancelledError);
  });

  it("a slow DoPut handler holds the client back: the client's writes wait and stay bounded", async () => {
    let received = 0;
    t = await startTestServer(
      {
        async doPut(_ctx, reader, writer) {
          for await (const _ of reader) {
            received += 1;
            for (let i = 0; i < 20; i++) await turn();
          }
          await writer.write(utf8(String(received)));
        },
      },
      { receiveWindowBytes: 65_535 },
    );
    const { writer } = t.client.doPut({ type: "path", path: ["slow"] }, batch.schema);
    let sent = 0;
    let maxAhead = 0;
    for (let i = 0; i < 150; i++) {
      await writer.write(batch);
      sent += 1;
      maxAhead = Math.max(maxAhead, sent - received);
    }
    await writer.close();
    expect(received).toBe(150);
    // With HTTP/2's 64 KiB receive window (grpc-server-window.test.ts covers larger ones): 16 (server stream buffer)
    // + 16 (client stream buffer) + the one being written + a few in transit.
    expect(maxAhead).toBeLessThanOrEqual(48);
  });

  it("the client disconnecting mid-DoPut aborts the handler's signal and nothing is left unhandled", async () => {
    let aborted: (reason: unknown) => void = () => {};
    const handlerAborted = new Promise((resolve) => {
      aborted = resolve;
    });
    let failed: (error: unknown) => void = () => {};
    const handlerFailed = new Promise((resolve) => {
      failed = resolve;
    });
    let gotFirst: () => void = () => {};
    const firstBatch = new Promise<void>((resolve) => {
      gotFirst = resolve;
    });
    t = await startTestServer({
      async doPut(ctx, reader) {
        ctx.signal.addEventListener("abort", () => aborted(ctx.signal.reason), { once: true });
        try {
          for await (const _ of reader) gotFirst();
        } catch (error) {
          failed(error);
          throw error;
        }
      },
    });
    const client = t.connect();
    const { writer } = client.doPut({ type: "path", path: ["x"] }, batch.schema);
    await writer.write(batch);
    await firstBatch;
    client.close();
    expect(await handlerAborted).toBeInstanceOf(FlightError);
    expect(((await handlerFailed) as FlightError).code).toBe(StatusCode.CANCELLED);
  });
});
