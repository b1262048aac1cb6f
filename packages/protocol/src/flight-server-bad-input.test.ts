import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFlightData } from "./flight-data.js";
import {
  type FlightError,
  FlightInvalidArgumentError,
  FlightResourceExhaustedError,
  FlightTimedOutError,
  StatusCode,
} from "./flight-error.js";
import { GrpcChannel } from "./grpc-channel.js";
import { collect, startTestServer, type TestServer } from "./protocol.test-kit.js";

const bytes = (...b: number[]) => new Uint8Array(b);
const empty = new Uint8Array(0);
const big = tableFromArrays({ x: new Float64Array(32_768).fill(2) }); // one 256 KiB batch

function rawChannel(port: number): GrpcChannel {
  return new GrpcChannel(
    { kind: "tcp", host: "127.0.0.1", port },
    {
      maxReceiveMessageBytes: 1 << 26,
      maxSendMessageBytes: 1 << 26,
      flowControlWindowBytes: 1 << 24,
      maxFlowControlWindowBytes: 1 << 24,
      grpcOptions: {},
    },
  );
}

describe("bad input never crashes the server; every problem has a clear FlightError", () => {
  let t: TestServer | undefined;
  let raw: GrpcChannel | undefined;
  afterEach(async () => {
    raw?.close();
    raw = undefined;
    await t?.close();
    t = undefined;
  });

  it("invalid UTF-8 and malformed protobuf in requests: INVALID_ARGUMENT naming the field", async () => {
    t = await startTestServer(
      {
        getFlightInfo: () => {
          throw new Error("must not be reached");
        },
        doAction: () => [],
        doPut: async (_ctx, reader) => void (await reader.readAll()),
        listActions: () => [{ type: "ok", description: "still alive" }],
      },
      { maxReceiveMessageBytes: 128 * 1024 },
    );
    raw = rawChannel(t.port);
    const setup = { headers: {} };
    // FlightDescriptor{type: PATH, path: ["ok", <ff fe>]}
    const badPath = bytes(0x08, 0x01, 0x1a, 0x02, 0x6f, 0x6b, 0x1a, 0x02, 0xff, 0xfe);
    const e1 = await raw.unary("GetFlightInfo", badPath, setup).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(FlightInvalidArgumentError);
    expect((e1 as FlightError).rawMessage).toBe("invalid UTF-8 in FlightDescriptor.path[1]");

    // Action{type: <c3 28>}
    const badAction = raw.serverStream("DoAction", bytes(0x0a, 0x02, 0xc3, 0x28), setup);
    const e2 = await badAction.read().catch((e: unknown) => e);
    expect((e2 as FlightError).rawMessage).toBe("invalid UTF-8 in Action.type");

    // A length running past the end of the message.
    const e3 = await raw.unary("GetFlightInfo", bytes(0x1a, 0x10, 0x61), setup).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(FlightInvalidArgumentError);
    expect((e3 as FlightError).rawMessage).toBe("malformed FlightDescriptor message");

    // DoPut whose first message has no descriptor, or an invalid one, or is not FlightData at all.
    for (const [first, message] of [
      [
        encodeFlightData({ header: empty, body: empty, appMetadata: bytes(1) }),
        "DoPut: the first message has no flight_descriptor",
      ],
      [
        encodeFlightData({ descriptor: badPath, header: empty, body: empty, appMetadata: empty }),
        "invalid UTF-8 in FlightDescriptor.path[1]",
      ],
      [bytes(0x00, 0x01), "malformed FlightData: field number 0"],
    ] as const) {
      const put = raw.bidi("DoPut", setup);
      put.write(first);
      put.halfClose();
      const error = await put.read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlightInvalidArgumentError);
      expect((error as FlightError).rawMessage).toBe(message);
    }

    // A message over the server's receive limit.
    const { writer } = t.client.doPut({ type: "path", path: ["big"] }, big.schema);
    await writer.write(big.batches[0]!).catch(() => undefined);
    await expect(writer.close()).rejects.toBeInstanceOf(FlightResourceExhaustedError);

    // The server is still serving.
    expect(await t.client.listActions()).toEqual([{ type: "ok", description: "still alive" }]);
  });

  it("a response over the client's receive limit fails with RESOURCE_EXHAUSTED", async () => {
    t = await startTestServer({ doGet: () => big });
    const small = t.connect({ maxReceiveMessageBytes: 64 * 1024 });
    await expect(small.doGet("x").readAll()).rejects.toBeInstanceOf(FlightResourceExhaustedError);
    expect((await t.client.doGet("x").readAll()).numRows).toBe(32_768);
  });

  it("a deadline aborts the handler's signal with DEADLINE_EXCEEDED and fails the client with FlightTimedOutError", async () => {
    let reason: (r: unknown) => void = () => {};
    const handlerReason = new Promise((resolve) => {
      reason = resolve;
    });
    t = await startTestServer({
      async *doAction(ctx) {
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            reason(ctx.signal.reason);
            resolve();
          });
        });
        yield { body: empty };
      },
    });
    await expect(collect(t.client.doAction("wait", { timeoutMs: 100 }))).rejects.toBeInstanceOf(FlightTimedOutError);
    const r = (await handlerReason) as FlightError;
    expect(r.code).toBe(StatusCode.DEADLINE_EXCEEDED);
  });
});
