/**
 * DoPut benchmark client (child process): our FlightClient uploading a 4 x int64 table.
 *
 * Usage: node put-client.js --port N --rows N --batch-rows N --warmup N --passes N
 *
 * Builds the table in memory (columns a..d, value `i * k` in column k, int64, no nulls), then
 * uploads it `warmup + passes` times, each as one DoPut of `rows / batch-rows` record batches,
 * and prints one `{"event":"result", ...}` line. Fails (exit 1) if the server's count of body
 * bytes differs from the table's.
 */
import { connect } from "@flight-cluster/protocol";
import { Field, Int64, makeData, RecordBatch, Schema, Struct } from "apache-arrow";
import { cpuSecondsSince, emit, type PutAck, type PutPass, parseAck } from "./put-events.js";

function intArg(name: string): number {
  const index = process.argv.indexOf(name);
  const value = Number(index >= 0 ? process.argv[index + 1] : Number.NaN);
  if (!Number.isInteger(value) || value < 0) throw new Error(`put-client: ${name} needs a non-negative integer`);
  return value;
}

const port = intArg("--port");
const rows = intArg("--rows");
const batchRows = intArg("--batch-rows");
const warmup = intArg("--warmup");
const passes = intArg("--passes");

const names = ["a", "b", "c", "d"] as const;
const fields = names.map((name) => new Field(name, new Int64(), false));
const schema = new Schema(fields);
/** Column k holds `i * (k + 1)`; filled through 32-bit words (BigInt per value is slow). */
const columns = names.map((_, k) => {
  const values = new BigInt64Array(rows);
  const words = new Int32Array(values.buffer);
  for (let i = 0; i < rows; i++) words[2 * i] = i * (k + 1);
  return values;
});
const batches: RecordBatch[] = [];
for (let offset = 0; offset < rows; offset += batchRows) {
  const length = Math.min(batchRows, rows - offset);
  const children = columns.map((values) =>
    makeData({ type: new Int64(), length, nullCount: 0, data: values.subarray(offset, offset + length) }),
  );
  batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children })));
}
const bodyBytes = rows * 8 * names.length;

const client = connect(`grpc+tcp://127.0.0.1:${port}`);
await client.waitForReady({ timeoutMs: 30_000 });

async function uploadOnce(): Promise<PutPass> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const { writer, results } = client.doPut({ type: "path", path: ["bench"] }, schema);
  const acks = (async () => {
    const out: PutAck[] = [];
    for await (const result of results) out.push(parseAck(result.appMetadata));
    return out;
  })();
  for (const batch of batches) await writer.write(batch);
  await writer.close();
  const [server] = await acks;
  const seconds = (performance.now() - start) / 1000;
  if (server === undefined) throw new Error("the server sent no PutResult");
  if (server.bodyBytes !== bodyBytes) {
    throw new Error(`the server received ${server.bodyBytes} body bytes, the table has ${bodyBytes}`);
  }
  return { seconds, cpuSeconds: cpuSecondsSince(cpu), server };
}

const warmupPasses: PutPass[] = [];
for (let i = 0; i < warmup; i++) warmupPasses.push(await uploadOnce());
const timed: PutPass[] = [];
for (let i = 0; i < passes; i++) timed.push(await uploadOnce());
client.close();
emit({ event: "result", rows, bodyBytes, batches: batches.length, warmup: warmupPasses, passes: timed });
