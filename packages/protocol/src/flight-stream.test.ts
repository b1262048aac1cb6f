import { Dictionary, Int32, type RecordBatch, Table, tableFromArrays, Utf8, vectorFromArray } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFlightData } from "./flight-data.js";
import { FlightDataEncoder } from "./flight-data-encoder.js";
import { FlightInvalidArgumentError, FlightNotFoundError } from "./flight-error.js";
import type { FlightServerHandlers } from "./flight-server-handlers.js";
import { collect, startTestServer, type TestServer, text, utf8 } from "./protocol.test-kit.js";
import { EncodedFlightDataStream, GeneratorStream, RecordBatchStream } from "./server-data-stream.js";

function numbers(rows: number, offset = 0): Table {
  const id = Int32Array.from({ length: rows }, (_, i) => i + offset);
  const x = Float64Array.from({ length: rows }, (_, i) => (i + offset) * 0.5);
  const name = Array.from({ length: rows }, (_, i) => `row-${i + offset}`);
  return tableFromArrays({ id, x, name });
}

const stored = new Map<string, Table>();

const handlers: FlightServerHandlers = {
  doGet(_ctx, ticket) {
    const name = text(ticket.ticket);
    if (name === "big") {
      const id = Int32Array.from({ length: 400_000 }, (_, i) => i);
      return new RecordBatchStream(tableFromArrays({ id, x: Float64Array.from(id, (v) => v * 0.5) }));
    }
    if (name === "table") return numbers(10);
    if (name === "generator") {
      const t = numbers(4);
      return new GeneratorStream(
        t.schema,
        (async function* () {
          yield { appMetadata: utf8("before") };
          yield { batch: t.batches[0]!, appMetadata: utf8("first") };
          yield numbers(3, 100).batches[0]!;
        })(),
      );
    }
    if (name === "encoded") {
      const t = numbers(5);
      const encoder = new FlightDataEncoder(t.schema);
      const messages = [encodeFlightData(encoder.encodeSchema())];
      for (const b of t.batches) for (const f of encoder.encodeBatch(b)) messages.push(encodeFlightData(f));
      return new EncodedFlightDataStream(messages);
    }
    if (name === "empty") return new RecordBatchStream([], numbers(1).schema);
    throw new FlightNotFoundError(`no ticket '${name}'`);
  },
  async doPut(ctx, reader, writer) {
    const d = reader.descriptor;
    if (d?.type !== "path") throw new FlightInvalidArgumentError("expected a PATH descriptor");
    const key = d.path.join("/");
    const batches: RecordBatch[] = [];
    for await (const chunk of reader.chunks()) {
      if (chunk.data !== undefined) {
        batches.push(chunk.data);
        await writer.write(
          utf8(`ack ${batches.length} ${chunk.data.numRows} ${text(chunk.appMetadata ?? new Uint8Array())}`),
        );
      } else if (chunk.appMetadata !== undefined) {
        await writer.write(utf8(`meta ${text(chunk.appMetadata)}`));
      }
    }
    stored.set(key, new Table(await reader.schema(), batches));
    ctx.addTrailer("x-stored-rows", String(batches.reduce((n, b) => n + b.numRows, 0)));
  },
  async doExchange(_ctx, reader, writer) {
    const schema = await reader.schema();
    await writer.begin(schema);
    for await (const chunk of reader.chunks()) {
      if (chunk.data !== undefined) await writer.write(chunk.data, chunk.appMetadata);
      else if (chunk.appMetadata !== undefined) await writer.writeMetadata(chunk.appMetadata);
    }
    await writer.writeMetadata(utf8(`descriptor=${reader.descriptor?.type}`));
  },
};

describe("DoGet, DoPut and DoExchange over a real socket", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("DoGet decodes large batches zero-copy: 8-aligned views of the received gRPC message", async () => {
    t = await startTestServer(handlers);
    const reader = t.client.doGet("big");
    let rows = 0;
    let batches = 0;
    for await (const batch of reader) {
      batches += 1;
      rows += batch.numRows;
      const id = batch.getChild("id")!.data[0]!.values as Int32Array;
      const x = batch.getChild("x")!.data[0]!.values as Float64Array;
      expect(id.byteOffset % 8).toBe(0);
      expect(x.byteOffset % 8).toBe(0);
      // Copies would each own an ArrayBuffer; views share the one received gRPC message
      // (5-byte prefix + protobuf framing + IPC header + both columns' buffers).
      expect(x.buffer).toBe(id.buffer);
      expect(id.buffer.byteLength).toBeGreaterThan(id.byteLength + x.byteLength);
      expect(id.buffer.byteLength).toBeLessThan(id.byteLength + x.byteLength + 4096);
    }
    expect(rows).toBe(400_000);
    // 400k rows x 12 bytes > 2 MiB: the server sliced the table into several messages.
    expect(batches).toBeGreaterThan(2);
  });

  it("DoGet of a Table, an async generator (metadata included) and pre-encoded messages", async () => {
    t = await startTestServer(handlers);
    const table = await t.client.doGet("table").readAll();
    expect(table.numRows).toBe(10);
    expect(table.getChild("name")!.get(9)).toBe("row-9");

    const chunks = await collect(t.client.doGet("generator").chunks());
    expect(chunks.map((c) => [c.data?.numRows, c.appMetadata === undefined ? undefined : text(c.appMetadata)])).toEqual(
      [
        [undefined, "before"],
        [4, "first"],
        [3, undefined],
      ],
    );
    expect(chunks[2]!.data!.getChild("id")!.get(0)).toBe(100);

    const encoded = await t.client.doGet("encoded").readAll();
    expect(encoded.numRows).toBe(5);
    expect(encoded.getChild("x")!.get(4)).toBe(2);

    const empty = t.client.doGet("empty");
    expect((await empty.schema()).fields.map((f) => f.name)).toEqual(["id", "x", "name"]);
    expect((await empty.readAll()).numRows).toBe(0);

    await expect(t.client.doGet("nope").readAll()).rejects.toBeInstanceOf(FlightNotFoundError);
  });

  it("app_metadata on Schema and dictionary messages is dropped (as Arrow C++ does); the batch keeps its own", async () => {
    // arrow-go's writer copies a batch's app_metadata onto the Schema and dictionary
    // messages it sends with that batch.
    const table = new Table({ tag: vectorFromArray(["a", "b", "a"], new Dictionary(new Utf8(), new Int32())) });
    const encoder = new FlightDataEncoder(table.schema);
    const copy = utf8("go-put-0");
    const frames = [encoder.encodeSchema(), ...encoder.encodeBatch(table.batches[0]!, copy)];
    expect(frames).toHaveLength(3); // schema, dictionary, batch
    const messages = frames.map((f) => encodeFlightData({ ...f, appMetadata: copy }));
    t = await startTestServer({ doGet: () => new EncodedFlightDataStream(messages) });
    const chunks = await collect(t.client.doGet("x").chunks());
    expect(chunks.map((c) => [c.data?.numRows, c.appMetadata === undefined ? undefined : text(c.appMetadata)])).toEqual(
      [[3, "go-put-0"]],
    );
    expect(chunks[0]!.data!.getChild("tag")!.get(1)).toBe("b");
  });

  it("DoPut: the server reads the descriptor, batches and metadata, acknowledges each, and close() waits for it", async () => {
    t = await startTestServer(handlers);
    const data = numbers(1000);
    let trailers: Record<string, readonly unknown[]> = {};
    const client = t.connect({
      middleware: [
        {
          startCall: () => ({
            callCompleted: (_e, tr) => {
              trailers = tr;
            },
          }),
        },
      ],
    });
    const { writer, results } = client.doPut({ type: "path", path: ["uploads", "numbers"] }, data.schema);
    await writer.write(data.batches[0]!.slice(0, 600), utf8("part-1"));
    await writer.writeMetadata(utf8("hello"));
    await writer.write(data.batches[0]!.slice(600));
    const acks: string[] = [];
    const reading = (async () => {
      for await (const r of results) acks.push(text(r.appMetadata));
    })();
    await writer.close();
    await reading;
    expect(acks).toEqual(["ack 1 600 part-1", "meta hello", "ack 2 400 "]);
    expect(stored.get("uploads/numbers")!.numRows).toBe(1000);
    expect(stored.get("uploads/numbers")!.getChild("name")!.get(999)).toBe("row-999");
    expect(trailers["x-stored-rows"]).toEqual(["1000"]);
  });

  it("DoPut close() without reading results still completes; a handler error rejects close()", async () => {
    t = await startTestServer(handlers);
    const data = numbers(50);
    const ok = t.client.doPut({ type: "path", path: ["quiet"] }, data.schema);
    await ok.writer.writeTable(data);
    await ok.writer.close();
    expect(stored.get("quiet")!.numRows).toBe(50);

    const bad = t.client.doPut({ type: "cmd", cmd: utf8("x") }, data.schema);
    await bad.writer.writeTable(data).catch(() => undefined);
    await expect(bad.writer.close()).rejects.toThrow("expected a PATH descriptor");
  });

  it("DoExchange echoes batches and metadata both ways", async () => {
    t = await startTestServer(handlers);
    const data = numbers(20);
    const { writer, reader } = t.client.doExchange({ type: "cmd", cmd: utf8("echo") });
    await writer.begin(data.schema);
    await writer.write(data.batches[0]!, utf8("m1"));
    await writer.writeMetadata(utf8("only-meta"));
    await writer.done();
    const chunks = await collect(reader.chunks());
    expect(chunks.map((c) => [c.data?.numRows, c.appMetadata && text(c.appMetadata)])).toEqual([
      [20, "m1"],
      [undefined, "only-meta"],
      [undefined, "descriptor=cmd"],
    ]);
    expect(chunks[0]!.data!.getChild("name")!.get(19)).toBe("row-19");
  });
});
