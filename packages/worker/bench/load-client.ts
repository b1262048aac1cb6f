/**
 * Load generator for cpu-pool-bench: runs in its own process so that its CPU work does
 * not land on the worker's event loop. Prints `{"event":"ready"}` once its data is built,
 * waits for a `go` line on stdin, then (1) reads the given ticket in a loop (counting
 * FlightData bytes, without decoding) while (2) ingesting shards with put-shard DoPuts
 * whose record batches are larger than the 2 MiB message limit (as pyarrow sends them),
 * so the worker must re-chunk and digest. Prints one JSON result line and exits.
 */
import { connect, type FlightClient, FlightDescriptor } from "@flight-cluster/protocol";
import { Field, Float64, Int32, makeData, RecordBatch, Schema, Struct } from "apache-arrow";

interface Job {
  readonly uri: string;
  readonly ticket: string;
  readonly uploads: ReadonlyArray<{ readonly id: string; readonly dataset: string; readonly version: number }>;
  readonly batchRows: number;
  readonly batchesPerShard: number;
  /** Read-only reference: read this many passes and do not ingest. */
  readonly readOnlyPasses: number;
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;

function bigBatch(rows: number, seed: number): RecordBatch {
  const schema = new Schema([
    new Field("id", new Int32()),
    new Field("a", new Float64()),
    new Field("b", new Float64()),
  ]);
  const id = Int32Array.from({ length: rows }, (_, i) => seed + i);
  const a = Float64Array.from({ length: rows }, (_, i) => (seed + i) * 0.25);
  const b = Float64Array.from({ length: rows }, (_, i) => Math.sin(seed + i));
  const children = [
    makeData({ type: new Int32(), length: rows, data: id }),
    makeData({ type: new Float64(), length: rows, data: a }),
    makeData({ type: new Float64(), length: rows, data: b }),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, children }));
}

async function readPass(client: FlightClient): Promise<number> {
  const reader = client.doGet(job.ticket);
  let bytes = 0;
  for (;;) {
    const frame = await reader.readFrame();
    if (frame === undefined) return bytes;
    bytes += frame.header.byteLength + frame.body.byteLength;
  }
}

async function ingest(client: FlightClient, batches: readonly RecordBatch[]): Promise<number> {
  let bytes = 0;
  for (const [n, upload] of job.uploads.entries()) {
    const command = {
      op: "put-shard",
      uploadId: upload.id,
      shardId: `ingest-${n}`,
      index: 0,
      dataset: upload.dataset,
      version: upload.version,
    };
    const { writer } = client.doPut(
      FlightDescriptor.forCommand(JSON.stringify(command)),
      (batches[0] as RecordBatch).schema,
    );
    for (const batch of batches) {
      await writer.write(batch);
      bytes += batch.data.children.reduce((s, c) => s + (c.values as Uint8Array).byteLength, 0);
    }
    await writer.close();
  }
  return bytes;
}

async function main(): Promise<void> {
  const dedicated = { grpcOptions: { "grpc.use_local_subchannel_pool": 1 } };
  const reader = connect(job.uri, dedicated);
  // Batches are sent whole (up to 64 MiB per message), as pyarrow sends them.
  const writer = connect(job.uri, { ...dedicated, maxMessageBytes: 64 * 1024 * 1024 });
  const batches = Array.from({ length: job.batchesPerShard }, (_, i) => bigBatch(job.batchRows, i * job.batchRows));
  await readPass(reader); // warm-up: connection, JIT
  process.stdout.write(`${JSON.stringify({ event: "ready" })}\n`);
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));

  const started = performance.now();
  let readBytes = 0;
  let passes = 0;
  if (job.readOnlyPasses > 0) {
    for (let i = 0; i < job.readOnlyPasses; i++) {
      readBytes += await readPass(reader);
      passes++;
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`${JSON.stringify({ event: "result", readBytes, readSeconds: seconds, passes })}\n`);
  } else {
    let ingestDone = false;
    let ingestSeconds = 0;
    const ingesting = ingest(writer, batches).then((bytes) => {
      ingestDone = true;
      ingestSeconds = (performance.now() - started) / 1000;
      return bytes;
    });
    // Read whole passes while the ingest runs; count only what arrived before it ended.
    let readSeconds = 0;
    while (!ingestDone) {
      const bytes = await readPass(reader);
      if (ingestDone) break;
      readBytes += bytes;
      passes++;
      readSeconds = (performance.now() - started) / 1000;
    }
    const ingestBytes = await ingesting;
    process.stdout.write(
      `${JSON.stringify({ event: "result", ingestBytes, ingestSeconds, readBytes, readSeconds, passes })}\n`,
    );
  }
  reader.close();
  writer.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
