import {
  encodeFlightData,
  FlightDataEncoder,
  FlightError,
  FlightNotFoundError,
  FlightServer,
  type FlightServerHandlers,
  StatusCode,
  silentLogger,
} from "@flight-cluster/protocol";
import type { WorkerInfo } from "@flight-cluster/registry";
import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { createWorkerClientPool } from "./worker-client-pool.js";
import type { WorkerTransport } from "./worker-transport.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();

interface Seen {
  commands: unknown[];
  rows: number;
  /** Resolves when the server saw its first batch. */
  started: Promise<void>;
  aborted: Promise<void>;
}

/** A stand-in worker on a real socket: stores nothing, counts rows, answers like a worker. */
async function fakeWorker(options: { stall?: boolean } = {}) {
  let abortedResolve: () => void = () => {};
  let startedResolve: () => void = () => {};
  const seen: Seen = {
    commands: [],
    rows: 0,
    started: new Promise<void>((resolve) => {
      startedResolve = resolve;
    }),
    aborted: new Promise<void>((resolve) => {
      abortedResolve = resolve;
    }),
  };
  const handlers: FlightServerHandlers = {
    async doPut(ctx, reader, writer) {
      ctx.signal.addEventListener("abort", () => abortedResolve(), { once: true });
      const descriptor = reader.descriptor;
      if (descriptor?.type !== "cmd") throw new FlightError(StatusCode.INVALID_ARGUMENT, "expected CMD");
      seen.commands.push(JSON.parse(text.decode(descriptor.cmd)));
      for await (const batch of reader) {
        seen.rows += batch.numRows;
        startedResolve();
        if (options.stall === true)
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      }
      await writer.write(utf8.encode(JSON.stringify({ shardId: "s", rows: seen.rows, bytes: 10, digest: "sha256:x" })));
    },
    async *doAction(_ctx, action) {
      if (action.type === "shard.delete") throw new FlightNotFoundError("no such shard");
      yield { body: action.body };
      yield { body: utf8.encode("second") };
    },
  };
  const server = new FlightServer(handlers, { logger: silentLogger });
  const { location } = await server.listen({ host: "127.0.0.1", port: 0 });
  const worker: WorkerInfo = {
    id: "w1",
    epoch: 1,
    locations: [location.uri],
    zone: "a",
    capacity: 1,
    load: 0,
    ttlMs: 1000,
    startedAt: 0,
    lastSeenAt: 0,
    expiresAt: 0,
  };
  return { server, worker, seen };
}

const table = tableFromArrays({ id: Int32Array.from({ length: 1000 }, (_, i) => i) });
const command = {
  op: "put-shard",
  uploadId: "u".repeat(32),
  shardId: "u.0",
  index: 0,
  dataset: "d",
  version: 1,
} as const;

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function pool(): WorkerTransport {
  const transport = createWorkerClientPool({ maxMessageBytes: 64 * 1024, actionTimeoutMs: 10_000 });
  cleanup.push(() => transport.close());
  return transport;
}

describe("WorkerClientPool", () => {
  it("streams a put-shard DoPut with the command as descriptor and returns the PutResult", async () => {
    const { server, worker, seen } = await fakeWorker();
    cleanup.push(() => server.close());
    const transport = pool();
    const stream = await transport.openPutShard(worker, command, table.schema);
    const encoder = new FlightDataEncoder(table.schema);
    for (const batch of table.batches) {
      for (const frame of encoder.encodeBatch(batch)) await stream.writeEncoded(encodeFlightData(frame));
    }
    const answer = JSON.parse(text.decode(await stream.finish()));
    expect(answer).toEqual({ shardId: "s", rows: 1000, bytes: 10, digest: "sha256:x" });
    expect(seen.commands).toEqual([command]);
  });

  it("cancel() cancels the worker's call", async () => {
    const { server, worker, seen } = await fakeWorker({ stall: true });
    cleanup.push(() => server.close());
    const stream = await pool().openPutShard(worker, command, table.schema);
    const encoder = new FlightDataEncoder(table.schema);
    for (const frame of encoder.encodeBatch(table.batches[0]!)) await stream.writeEncoded(encodeFlightData(frame));
    await seen.started;
    stream.cancel();
    await seen.aborted;
    await expect(stream.finish()).rejects.toMatchObject({ code: StatusCode.CANCELLED });
  });

  it("runs actions, collecting every result body, and maps errors", async () => {
    const { server, worker } = await fakeWorker();
    cleanup.push(() => server.close());
    const transport = pool();
    const bodies = await transport.doAction(worker, "echo", utf8.encode("{}"));
    expect(bodies.map((b) => text.decode(b))).toEqual(["{}", "second"]);
    await expect(transport.doAction(worker, "shard.delete", utf8.encode("{}"))).rejects.toMatchObject({
      code: StatusCode.NOT_FOUND,
    });
  });

  it("fails clearly for unreachable workers, workers without locations, and after close", async () => {
    const transport = pool();
    const { server, worker } = await fakeWorker();
    await server.close();
    const unreachable = await transport.doAction(worker, "echo", new Uint8Array()).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(FlightError);
    expect((unreachable as FlightError).code).toBe(StatusCode.UNAVAILABLE);
    await expect(transport.openPutShard({ ...worker, locations: [] }, command, table.schema)).rejects.toThrow(
      /registered no location/,
    );
    await transport.close();
    await expect(transport.doAction(worker, "echo", new Uint8Array())).rejects.toThrow(/shutting down/);
  });
});
