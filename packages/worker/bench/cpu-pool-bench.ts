/**
 * Does the CPU pool help? Measures, in one run, a worker with its CPU work (re-chunking
 * oversized batches and SHA-256 digests of new shard files) on the main thread ("inline")
 * against the same worker with that work in a piscina thread ("pool"):
 *
 * - the worker's event-loop delay (perf_hooks.monitorEventLoopDelay, p50/p99/max) while a
 *   client ingests shards whose batches exceed the 2 MiB message limit;
 * - the DoGet throughput a concurrent reader gets meanwhile, against the reference of the
 *   same reader on an idle worker ("read only"), measured in the same run;
 * - the ingest throughput;
 * - a digest of one file alone: main thread vs pool (elapsed time and loop delay).
 *
 * The worker runs in this process (its event loop is the one measured); the clients run in
 * a child process (load-client.ts). Configurations alternate, `--repeats` times each, and
 * medians are reported. Results go to bench/results/cpu-pool.{json,md}.
 *
 * Run: pnpm exec tsc --build packages/worker && pnpm exec tsc -p packages/worker/bench &&
 *      node packages/worker/bench/dist/cpu-pool-bench.js [--repeats 3] [--quick]
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { connect, encodeSchema, FlightDataEncoder, FlightDescriptor, silentLogger } from "@flight-cluster/protocol";
import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { createCpuPool, silentWorkerLogger, startWorker } from "@flight-cluster/worker";
import { sha256File } from "@flight-cluster/worker/internal";
import { Field, Float64, makeData, RecordBatch, Schema, Struct } from "apache-arrow";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const repeats = Number(args[args.indexOf("--repeats") + 1] ?? "") || (quick ? 1 : 3);
const MiB = 1024 * 1024;
const READ_SHARD_ROWS = quick ? 1_000_000 : 2_000_000; // 2 float64 columns: 15 or 31 MiB
const INGEST = { shards: quick ? 1 : 2, batchesPerShard: quick ? 2 : 3, batchRows: 400_000 }; // ~9.6 MiB per batch

type Mode = "inline" | "pool";
interface LoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}
interface RunResult {
  readonly mode: Mode | "read-only";
  readonly loop: LoopDelay;
  readonly readMBps: number;
  readonly ingestMBps: number | undefined;
}

function readShardBatch(rows: number): RecordBatch {
  const schema = new Schema([new Field("x", new Float64()), new Field("y", new Float64())]);
  const x = Float64Array.from({ length: rows }, (_, i) => i);
  const y = Float64Array.from({ length: rows }, (_, i) => i * 2);
  const children = [
    makeData({ type: new Float64(), length: rows, data: x }),
    makeData({ type: new Float64(), length: rows, data: y }),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, children }));
}

/**
 * Give the loop-delay sampler a few ticks: before measured work (it measures only from
 * its first tick on) and after it (a loop blocked until the very end is recorded by the
 * sampler's late tick).
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}

function delayOf(h: ReturnType<typeof monitorEventLoopDelay>): LoopDelay {
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
}

async function runLoad(job: object): Promise<Record<string, number>> {
  const child = spawn(process.execPath, [join(here, "load-client.js"), JSON.stringify(job)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const next = (): Promise<Record<string, number>> =>
    new Promise((resolve, reject) => {
      const onLine = (line: string) => {
        lines.off("line", onLine);
        resolve(JSON.parse(line) as Record<string, number>);
      };
      lines.on("line", onLine);
      child.once("exit", (code) => reject(new Error(`load client exited with ${code}`)));
    });
  await next(); // ready
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  child.stdin.write("go\n");
  const result = await next();
  await settle();
  h.disable();
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  return { ...result, p50: delayOf(h).p50, p99: delayOf(h).p99, max: delayOf(h).max };
}

async function withWorker(mode: Mode, run: (uri: string, registry: Registry, ticket: string) => Promise<RunResult>) {
  const dir = await mkdtemp(join(tmpdir(), "fc-cpu-bench-"));
  const registry = createMemoryRegistry();
  const worker = await startWorker({
    registry,
    dataDir: dir,
    zone: "a",
    host: "127.0.0.1",
    port: 0,
    cpuThreads: mode === "pool" ? 1 : 0,
    digest: mode,
    logger: silentWorkerLogger,
    server: { logger: silentLogger },
  });
  try {
    const upload = await registry.beginUpload("read", 600_000);
    const batch = readShardBatch(READ_SHARD_ROWS);
    const client = connect(worker.uri);
    const command = {
      op: "put-shard",
      uploadId: upload.id,
      shardId: "read-0",
      index: 0,
      dataset: "read",
      version: upload.version,
    };
    const { writer } = client.doPut(FlightDescriptor.forCommand(JSON.stringify(command)), batch.schema);
    await writer.write(batch);
    await writer.close();
    client.close();
    const recorded = await registry.getUpload(upload.id);
    await registry.commitUpload(upload.id, { schema: encodeSchema(batch.schema), shards: recorded?.shards ?? [] });
    const ticket = await registry.createTicket(
      { dataset: "read", version: upload.version, shardId: "read-0" },
      600_000,
    );
    return await run(worker.uri, registry, ticket.id);
  } finally {
    await worker.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function ingestRun(mode: Mode): Promise<RunResult> {
  return withWorker(mode, async (uri, registry, ticket) => {
    const uploads = [];
    for (let i = 0; i < INGEST.shards; i++) {
      const u = await registry.beginUpload(`ingest-${i}`, 600_000);
      uploads.push({ id: u.id, dataset: u.dataset, version: u.version });
    }
    const r = await runLoad({
      uri,
      ticket,
      uploads,
      batchRows: INGEST.batchRows,
      batchesPerShard: INGEST.batchesPerShard,
      readOnlyPasses: 0,
    });
    return {
      mode,
      loop: { p50: r["p50"] as number, p99: r["p99"] as number, max: r["max"] as number },
      readMBps: (r["readSeconds"] as number) > 0 ? (r["readBytes"] as number) / MiB / (r["readSeconds"] as number) : 0,
      ingestMBps: (r["ingestBytes"] as number) / MiB / (r["ingestSeconds"] as number),
    };
  });
}

async function readOnlyRun(): Promise<RunResult> {
  return withWorker("pool", async (uri, _registry, ticket) => {
    const r = await runLoad({
      uri,
      ticket,
      uploads: [],
      batchRows: 0,
      batchesPerShard: 0,
      readOnlyPasses: quick ? 3 : 6,
    });
    return {
      mode: "read-only",
      loop: { p50: r["p50"] as number, p99: r["p99"] as number, max: r["max"] as number },
      readMBps: (r["readBytes"] as number) / MiB / (r["readSeconds"] as number),
      ingestMBps: undefined,
    };
  });
}

async function digestRun(mode: Mode, path: string): Promise<{ mode: Mode; seconds: number; loop: LoopDelay }> {
  const pool = createCpuPool({ threads: 1 });
  try {
    await pool.digestBytes(new Uint8Array(8)); // start the thread outside the measurement
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    await settle(); // the sampler only measures from its first tick on
    const started = performance.now();
    if (mode === "pool") await pool.digestFile(path);
    else await sha256File(path);
    const seconds = (performance.now() - started) / 1000;
    await settle();
    h.disable();
    return { mode, seconds, loop: delayOf(h) };
  } finally {
    await pool.close();
  }
}

/**
 * The CPU work alone, without network: re-chunk `CPU_BATCHES` oversized record batches
 * (decode + re-encode under 2 MiB) and digest each result, inline or in the pool, while
 * the event loop is sampled. Shows how long the worker's loop is blocked by this work.
 */
const CPU_BATCHES = quick ? 3 : 6;
async function cpuWorkRun(mode: Mode): Promise<{ mode: Mode; seconds: number; loop: LoopDelay }> {
  const pool = createCpuPool({ threads: mode === "pool" ? 1 : 0 });
  try {
    const batch = readShardBatch(600_000); // 9.2 MiB body
    const encoder = new FlightDataEncoder(batch.schema, { maxMessageBytes: 64 * MiB });
    const schemaFrame = encoder.encodeSchema();
    const [frame] = encoder.encodeBatch(batch);
    if (frame === undefined) throw new Error("no frame");
    await pool.digestBytes(new Uint8Array(8)); // start the thread outside the measurement
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    await settle(); // the sampler only measures from its first tick on
    const started = performance.now();
    // Two at a time, as two concurrent uploads would.
    const one = async (): Promise<void> => {
      const pieces = await pool.rechunk({ schemaHeader: schemaFrame.header, dictionaries: [] }, frame, 2 * MiB - 64);
      for (const p of pieces) await pool.digestBytes(p.body);
    };
    for (let i = 0; i < CPU_BATCHES; i += 2) await Promise.all([one(), one()]);
    const seconds = (performance.now() - started) / 1000;
    await settle();
    h.disable();
    return { mode, seconds, loop: delayOf(h) };
  } finally {
    await pool.close();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

async function main(): Promise<void> {
  const runs: RunResult[] = [];
  for (let i = 0; i < repeats; i++) {
    runs.push(await readOnlyRun());
    for (const mode of (i % 2 === 0 ? ["inline", "pool"] : ["pool", "inline"]) as Mode[])
      runs.push(await ingestRun(mode));
    process.stderr.write(`repeat ${i + 1}/${repeats} done\n`);
  }
  const cpuWork: Array<Awaited<ReturnType<typeof cpuWorkRun>>> = [];
  for (let i = 0; i < repeats; i++)
    for (const mode of ["inline", "pool"] as Mode[]) cpuWork.push(await cpuWorkRun(mode));
  const dir = await mkdtemp(join(tmpdir(), "fc-digest-bench-"));
  const file = join(dir, "blob.bin");
  await writeFile(file, Buffer.alloc((quick ? 32 : 128) * MiB, 7));
  const digests: Array<Awaited<ReturnType<typeof digestRun>>> = [];
  for (let i = 0; i < repeats; i++)
    for (const mode of ["inline", "pool"] as Mode[]) digests.push(await digestRun(mode, file));
  await rm(dir, { recursive: true, force: true });

  const summary = (["read-only", "inline", "pool"] as const).map((mode) => {
    const rs = runs.filter((r) => r.mode === mode);
    return {
      mode,
      runs: rs.length,
      loopP50Ms: median(rs.map((r) => r.loop.p50)),
      loopP99Ms: median(rs.map((r) => r.loop.p99)),
      loopMaxMs: median(rs.map((r) => r.loop.max)),
      readMBps: median(rs.map((r) => r.readMBps)),
      ingestMBps: mode === "read-only" ? null : median(rs.map((r) => r.ingestMBps as number)),
    };
  });
  const digestSummary = (["inline", "pool"] as const).map((mode) => {
    const ds = digests.filter((d) => d.mode === mode);
    return {
      mode,
      seconds: median(ds.map((d) => d.seconds)),
      loopP99Ms: median(ds.map((d) => d.loop.p99)),
      loopMaxMs: median(ds.map((d) => d.loop.max)),
    };
  });
  const cpuSummary = (["inline", "pool"] as const).map((mode) => {
    const ds = cpuWork.filter((d) => d.mode === mode);
    return {
      mode,
      seconds: median(ds.map((d) => d.seconds)),
      loopP50Ms: median(ds.map((d) => d.loop.p50)),
      loopP99Ms: median(ds.map((d) => d.loop.p99)),
      loopMaxMs: median(ds.map((d) => d.loop.max)),
    };
  });
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: (await import("node:os")).availableParallelism(), node: process.version },
    setup: { readShardMiB: (READ_SHARD_ROWS * 16) / MiB, ingest: INGEST, repeats, quick },
    summary,
    cpuWork: { batches: CPU_BATCHES, batchMiB: (600_000 * 16) / MiB, summary: cpuSummary },
    digest: { fileMiB: quick ? 32 : 128, summary: digestSummary },
    runs,
    cpuWorkRuns: cpuWork,
    digests,
  };
  const out = join(here, "..", "results", quick ? "cpu-pool-quick" : "cpu-pool");
  await writeFile(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);
  const f = (n: number | null) => (n === null ? "-" : n.toFixed(n < 10 ? 2 : 0));
  const md = [
    `# Worker CPU pool: measured ${result.date}`,
    "",
    `Machine: ${result.machine.cpus} cores (shared), Node ${result.machine.node}. Medians of ${repeats} alternating runs.`,
    `Read shard ${result.setup.readShardMiB} MiB; ingest ${INGEST.shards} shards x ${INGEST.batchesPerShard} batches of ${INGEST.batchRows} rows (~9.6 MiB each, re-chunked to 2 MiB messages).`,
    "",
    "| worker CPU work | loop delay p50 (ms) | p99 (ms) | max (ms) | concurrent DoGet (MiB/s) | ingest (MiB/s) |",
    "| --- | --- | --- | --- | --- | --- |",
    ...summary.map(
      (s) =>
        `| ${s.mode === "read-only" ? "reference: reader alone, no ingest" : s.mode === "inline" ? "inline (main thread)" : "pool (piscina thread)"} | ${f(s.loopP50Ms)} | ${f(s.loopP99Ms)} | ${f(s.loopMaxMs)} | ${f(s.readMBps)} | ${f(s.ingestMBps)} |`,
    ),
    "",
    `CPU work alone (no network): re-chunk ${CPU_BATCHES} batches of ${result.cpuWork.batchMiB.toFixed(1)} MiB to 2 MiB messages and digest every piece, two at a time:`,
    "",
    "| where | seconds | loop delay p50 (ms) | p99 (ms) | max (ms) |",
    "| --- | --- | --- | --- | --- |",
    ...cpuSummary.map(
      (d) =>
        `| ${d.mode === "inline" ? "main thread" : "pool"} | ${f(d.seconds)} | ${f(d.loopP50Ms)} | ${f(d.loopP99Ms)} | ${f(d.loopMaxMs)} |`,
    ),
    "",
    `Digest of one ${result.digest.fileMiB} MiB file:`,
    "",
    "| where | seconds | loop delay p99 (ms) | max (ms) |",
    "| --- | --- | --- | --- |",
    ...digestSummary.map(
      (d) =>
        `| ${d.mode === "inline" ? "main thread" : "pool"} | ${f(d.seconds)} | ${f(d.loopP99Ms)} | ${f(d.loopMaxMs)} |`,
    ),
    "",
  ].join("\n");
  await writeFile(`${out}.md`, md);
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
