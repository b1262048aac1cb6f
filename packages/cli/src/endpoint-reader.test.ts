/**
 * Failover of `get` between an endpoint's locations, over real sockets: a location that
 * refuses connections, and a replica that fails mid-stream (the next replica resumes after
 * the batches already received, through x-flight-cluster-skip-batches).
 */
import { createServer } from "node:net";
import {
  FlightServer,
  FlightUnavailableError,
  GeneratorStream,
  getHeader,
  type Location,
} from "@flight-cluster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SCHEMA, demoSalesBatch } from "./demo-dataset.js";
import { readEndpoint, SKIP_BATCHES_HEADER } from "./endpoint-reader.js";
import { openPlannerSession } from "./planner-session.js";

const BATCHES = 6;
const ROWS = 1000;
const seenSkips: string[] = [];

/** A replica serving BATCHES batches, honouring the skip header; `failAfter` batches, it fails. */
function replica(failAfter: number | undefined): FlightServer {
  return new FlightServer({
    doGet(ctx) {
      const skip = Number(getHeader(ctx.headers, SKIP_BATCHES_HEADER) ?? "0");
      seenSkips.push(String(skip));
      return new GeneratorStream(
        DEMO_SCHEMA,
        (async function* () {
          for (let i = skip; i < BATCHES; i++) {
            if (failAfter !== undefined && i === failAfter) throw new FlightUnavailableError("replica lost its disk");
            yield demoSalesBatch(i * ROWS, ROWS);
          }
        })(),
      );
    },
  });
}

async function closedPortUri(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return `grpc+tcp://127.0.0.1:${address.port}`;
}

const servers: FlightServer[] = [];
let failing: Location;
let healthy: Location;

beforeAll(async () => {
  const a = replica(2);
  const b = replica(undefined);
  servers.push(a, b);
  failing = (await a.listen({ host: "127.0.0.1", port: 0 })).location;
  healthy = (await b.listen({ host: "127.0.0.1", port: 0 })).location;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function readAll(locations: readonly Location[]): Promise<{ ids: bigint[]; failovers: string[] }> {
  const signal = new AbortController().signal;
  const session = openPlannerSession(healthy.uri, { timeoutMs: 10_000, signal });
  const failovers: string[] = [];
  const ids: bigint[] = [];
  try {
    const endpoint = { ticket: { ticket: new TextEncoder().encode("t") }, locations, appMetadata: new Uint8Array(0) };
    for await (const batch of readEndpoint(session, endpoint, signal, (location) => failovers.push(location))) {
      for (const id of batch.getChild("id")?.toArray() as BigInt64Array) ids.push(id);
    }
  } finally {
    session.close();
  }
  return { ids, failovers };
}

describe("readEndpoint", () => {
  const expected = Array.from({ length: BATCHES * ROWS }, (_, i) => BigInt(i));

  it("moves past a location that refuses connections", async () => {
    const dead = await closedPortUri();
    const { ids, failovers } = await readAll([{ uri: dead }, healthy]);
    expect(failovers).toEqual([dead]);
    expect(ids).toEqual(expected);
  });

  it("resumes at the next replica after the batches already received, without duplicates", async () => {
    seenSkips.length = 0;
    const { ids, failovers } = await readAll([failing, healthy]);
    expect(failovers).toEqual([failing.uri]);
    expect(seenSkips).toEqual(["0", "2"]);
    expect(ids).toEqual(expected);
  });

  it("fails with the last error when every location fails", async () => {
    const dead = await closedPortUri();
    await expect(readAll([{ uri: dead }, failing])).rejects.toThrow(/replica lost its disk/);
  });
});
