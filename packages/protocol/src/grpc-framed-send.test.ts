import { createRequire } from "node:module";
import { tableFromArrays } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { allocateGrpcMessage, framedSendInstalled, grpcFramedView } from "./grpc-framed-send.js";
import { passSerialize } from "./grpc-service.js";
import { startTestServer, type TestServer } from "./protocol.test-kit.js";
import { RecordBatchStream } from "./server-data-stream.js";

const require = createRequire(import.meta.url);

describe("allocateGrpcMessage", () => {
  it("puts gRPC's prefix (flag 0, big-endian length) right before the message, in the same memory", () => {
    const message = allocateGrpcMessage(300, 17);
    const framed = grpcFramedView(message);
    expect(framed).toBeDefined();
    expect(framed!.buffer).toBe(message.buffer);
    expect(framed!.byteOffset + 5).toBe(message.byteOffset);
    expect(framed!.length).toBe(305);
    expect([...framed!.subarray(0, 5)]).toEqual([0, 0, 0, 0x01, 0x2c]);
    expect((message.byteOffset + 17) % 8).toBe(0);
    message.fill(9);
    expect(framed![5]).toBe(9);
  });

  it("places the message in a given block, aligned, and refuses a block that is too small", () => {
    const block = new ArrayBuffer(4096);
    const message = allocateGrpcMessage(4000, 3, block);
    expect(message.buffer).toBe(block);
    expect((message.byteOffset + 3) % 8).toBe(0);
    expect(() => allocateGrpcMessage(4092, 3, block)).toThrow(RangeError);
  });

  it("knows only the messages it made: copies and plain buffers have no framed view", () => {
    const message = allocateGrpcMessage(10, 0);
    expect(grpcFramedView(message.subarray(0))).toBeUndefined();
    expect(grpcFramedView(Buffer.alloc(10))).toBeUndefined();
    expect(grpcFramedView("not bytes")).toBeUndefined();
  });
});

describe("grpc-js sends framed messages as they are", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("the server hook returns the framed view for Flight calls and frames anything else as grpc-js does", async () => {
    t = await startTestServer({});
    expect(framedSendInstalled()).toBe(true);
    const proto = require("@grpc/grpc-js/build/src/server-interceptors.js").BaseServerInterceptingCall.prototype as {
      serializeMessage(this: unknown, value: unknown): Buffer;
    };
    const message = allocateGrpcMessage(8, 0);
    message.set([1, 2, 3, 4, 5, 6, 7, 8]);
    const ours = proto.serializeMessage.call({ handler: { serialize: passSerialize } }, message);
    expect(ours).toBe(grpcFramedView(message));
    // Another service's serializer (or an unframed message) takes grpc-js's own path: a copy.
    const foreign = proto.serializeMessage.call({ handler: { serialize: (v: Buffer) => v } }, message);
    expect(foreign).not.toBe(grpcFramedView(message));
    expect(foreign.buffer === message.buffer && foreign.byteOffset === message.byteOffset - 5).toBe(false);
    expect([...foreign]).toEqual([0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    const plain = proto.serializeMessage.call({ handler: { serialize: passSerialize } }, Buffer.from([7]));
    expect([...plain]).toEqual([0, 0, 0, 0, 1, 7]);
  });

  it("the client hook sends a framed message without copying unless the call compresses", async () => {
    t = await startTestServer({});
    const { CompressionFilter } = require("@grpc/grpc-js/build/src/compression-filter.js") as {
      CompressionFilter: new (
        options: object,
        shared: object,
      ) => { sendMessage(m: Promise<{ message: Buffer; flags?: number }>): Promise<{ message: Buffer }> };
    };
    const message = allocateGrpcMessage(4, 0);
    message.set([4, 3, 2, 1]);
    const identity = new CompressionFilter({}, {});
    expect((await identity.sendMessage(Promise.resolve({ message }))).message).toBe(grpcFramedView(message));
    const gzip = new CompressionFilter({ "grpc.default_compression_algorithm": 2 }, {});
    const compressed = (await gzip.sendMessage(Promise.resolve({ message, flags: 0 }))).message;
    expect(compressed).not.toBe(grpcFramedView(message));
    expect(compressed[0]).toBe(1); // the compressed flag: grpc-js's own path
    // grpc-js's send limit still applies to framed messages.
    const limited = new CompressionFilter({ "grpc.max_send_message_length": 2 }, {});
    await expect(limited.sendMessage(Promise.resolve({ message }))).rejects.toMatchObject({ code: 8 });
  });

  it("a DoGet and a DoPut of framed messages arrive intact over a real socket", async () => {
    const table = tableFromArrays({ x: Float64Array.from({ length: 200_000 }, (_, i) => i * 0.5) });
    let uploaded: number[] = [];
    t = await startTestServer({
      doGet: () => new RecordBatchStream(table),
      async doPut(_ctx, reader) {
        const got = await reader.readAll();
        uploaded = got.getChild("x")!.toArray() as unknown as number[];
      },
    });
    // The client's messages come from the encoder, hence framed.
    const frame = new FlightDataEncoder(table.schema).encodeSchema();
    expect(frame.header.byteOffset).toBeGreaterThanOrEqual(5);
    const got = await t.client.doGet("t").readAll();
    expect(Array.from(got.getChild("x")!.toArray() as Float64Array)).toEqual(
      Array.from(table.getChild("x")!.toArray() as Float64Array),
    );
    const { writer } = t.client.doPut({ type: "path", path: ["t"] }, table.schema);
    await writer.writeTable(table);
    await writer.close();
    expect(Array.from(uploaded)).toEqual(Array.from(table.getChild("x")!.toArray() as Float64Array));
  });
});
