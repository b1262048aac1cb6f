import { tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { connect } from "./flight-client.js";
import { FlightUnavailableError } from "./flight-error.js";
import { FlightServer } from "./flight-server.js";
import { silentLogger } from "./logger.js";
import { GeneratorStream } from "./server-data-stream.js";

const batch = tableFromArrays({ x: Float64Array.from({ length: 1000 }, (_, i) => i) }).batches[0]!;

/** A DoGet that yields one batch, waits for `release`, then yields nine more. */
function gatedServer() {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let aborted: (reason: unknown) => void = () => {};
  const abortReason = new Promise((resolve) => {
    aborted = resolve;
  });
  const server = new FlightServer(
    {
      listActions: () => [],
      doGet(ctx) {
        ctx.signal.addEventListener("abort", () => aborted(ctx.signal.reason), { once: true });
        return new GeneratorStream(
          batch.schema,
          (async function* () {
            yield batch;
            await Promise.race([gate, new Promise((resolve) => ctx.signal.addEventListener("abort", resolve))]);
            for (let i = 0; i < 9; i++) yield batch;
          })(),
        );
      },
    },
    { logger: silentLogger },
  );
  return { server, release, abortReason };
}

describe("server lifecycle: starting -> serving -> draining -> stopped", () => {
  it("drain lets in-flight streams finish while new calls get UNAVAILABLE", async () => {
    const { server, release } = gatedServer();
    expect(server.state).toBe("starting");
    const { location } = await server.listen({ host: "127.0.0.1", port: 0 });
    expect(server.state).toBe("serving");
    const client = connect(location);
    const reader = client.doGet("x");
    const first = await reader.readChunk();
    expect(first?.data?.numRows).toBe(1000);
    expect(server.inFlight).toBe(1);

    const drained = server.drain(30_000);
    expect(server.state).toBe("draining");
    await expect(client.listActions()).rejects.toBeInstanceOf(FlightUnavailableError);
    const late = connect(location);
    await expect(late.listActions()).rejects.toBeInstanceOf(FlightUnavailableError);
    late.close();

    release();
    let rows = 1000;
    for await (const b of reader) rows += b.numRows;
    expect(rows).toBe(10_000);
    await drained;
    expect(server.state).toBe("stopped");
    expect(server.inFlight).toBe(0);
    client.close();
  });

  it("calls still running when the grace period ends are cancelled with UNAVAILABLE", async () => {
    const { server, abortReason } = gatedServer();
    const { location } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = connect(location);
    const reader = client.doGet("x");
    await reader.readChunk();
    await server.drain(50);
    expect(server.state).toBe("stopped");
    expect(await abortReason).toBeInstanceOf(FlightUnavailableError);
    await expect(reader.readAll()).rejects.toBeInstanceOf(FlightUnavailableError);
    client.close();
  });

  it("close() stops at once and cancels in-flight calls; listen after stop is refused", async () => {
    const { server, abortReason } = gatedServer();
    const { location } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = connect(location);
    const reader = client.doGet("x");
    await reader.readChunk();
    await server.close();
    expect(server.state).toBe("stopped");
    expect(await abortReason).toBeInstanceOf(FlightUnavailableError);
    await expect(reader.readAll()).rejects.toBeInstanceOf(FlightUnavailableError);
    await expect(server.listen({ host: "127.0.0.1", port: 0 })).rejects.toThrow("the server is stopped");
    client.close();
  });
});
