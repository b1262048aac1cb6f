import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { FlightCancelledError, FlightNotFoundError } from "./flight-error.js";
import { startTestServer, type TestServer } from "./protocol.test-kit.js";
import { GeneratorStream } from "./server-data-stream.js";

const batch = tableFromArrays({ x: new Float64Array(1000).fill(2.5) }).batches[0]!;
/** One 256 KiB batch (32768 float64 values). */
const big = tableFromArrays({ x: new Float64Array(32_768).fill(1.5) }).batches[0]!;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("client read path", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("a server error after N batches: the client reads all N batches, then the error, even when it reads after the status arrived", async () => {
    t = await startTestServer({
      doGet() {
        return new GeneratorStream(
          batch.schema,
          (function* () {
            for (let i = 0; i < 8; i++) yield batch;
            throw new FlightNotFoundError("gone after 8");
          })(),
        );
      },
    });
    let completed: (error: unknown) => void = () => {};
    const status = new Promise((resolve) => {
      completed = resolve;
    });
    const client = t.connect({ middleware: [{ startCall: () => ({ callCompleted: (error) => completed(error) }) }] });
    const reader = client.doGet("x");
    const first = await reader.readChunk();
    expect(first?.data?.numRows).toBe(1000);
    expect(await status).toBeInstanceOf(FlightNotFoundError);
    let batches = 1;
    const rest = (async () => {
      for await (const _ of reader) batches += 1;
    })();
    await expect(rest).rejects.toBeInstanceOf(FlightNotFoundError);
    expect(batches).toBe(8);
  });

  it("a slow DoExchange reader holds the server back: batches written ahead of it stay bounded; breaking out cancels the handler", async () => {
    let produced = 0;
    let stopped: (reason: unknown) => void = () => {};
    const handlerStopped = new Promise((resolve) => {
      stopped = resolve;
    });
    t = await startTestServer({
      async doExchange(ctx, _reader, writer) {
        ctx.signal.addEventListener("abort", () => stopped(ctx.signal.reason), { once: true });
        await writer.begin(big.schema);
        for (;;) {
          produced += 1;
          await writer.write(big);
        }
      },
    });
    // 1 MiB flow-control window (4 messages in flight): 16 (server stream buffer) + 4 (window)
    // + 16 (client stream buffer, filled while paused) + 2 (client queue) + a few in transit.
    const client = t.connect({ flowControlWindowBytes: 1024 * 1024 });
    const { reader } = client.doExchange({ type: "cmd", cmd: new Uint8Array([1]) });
    let consumed = 0;
    let maxAhead = 0;
    for await (const b of reader) {
      expect(b.numRows).toBe(32_768);
      consumed += 1;
      for (let i = 0; i < 20; i++) await turn(); // a slow consumer
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (consumed === 120) break; // cancels the call
    }
    expect(maxAhead).toBeGreaterThan(4);
    expect(maxAhead).toBeLessThanOrEqual(48);
    expect(await handlerStopped).toBeInstanceOf(FlightCancelledError);
  });
});
