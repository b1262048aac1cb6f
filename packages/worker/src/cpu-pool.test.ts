import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CpuPool, createCpuPool, threadExecArgv } from "./cpu-pool.js";
import { sha256Bytes } from "./digest.js";
import { flightDataSize } from "./flight-data-layout.js";
import { silentWorkerLogger } from "./logger.js";
import { framesOf, ipcFrames, makeTable, tempDir } from "./shard-fixtures.test-kit.js";
import { indexIpcStreamBytes } from "./shard-index.js";
import { ShardStore } from "./shard-store.js";
import type { IpcFrame } from "./shard-writer.js";
import { CpuPoolClosedError, WorkerInvalidArgumentError } from "./worker-errors.js";

// The threaded pool runs the compiled dist/tasks/cpu-task-runner.js: build before running (tsc --build).
let dir: { path: string; remove: () => Promise<void> };
let pools: CpuPool[];

beforeAll(() => {
  pools = [createCpuPool({ threads: 1 }), createCpuPool({ threads: 0 })];
});
afterAll(async () => {
  for (const p of pools) await p.close();
});
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

describe.each([
  ["threads", 0],
  ["inline", 1],
])("CpuPool (%s)", (_name, which) => {
  const pool = (): CpuPool => pools[which as number] as CpuPool;

  it("re-chunks an oversized batch (with a dictionary column) so every stored message fits", async () => {
    const limit = 128 * 1024;
    const store = await ShardStore.open({
      dataDir: dir.path,
      maxMessageBytes: limit,
      maxShardBytes: 1 << 30,
      hashInline: false,
      digestFile: (path, signal) => pool().digestFile(path, signal),
      rechunker: pool(),
      logger: silentWorkerLogger,
    });
    const table = makeTable(40_000, 20_000);
    const entry = await store.put(
      { shardId: "big", dataset: "d", version: 1, index: 0, uploadId: "u" },
      framesOf(ipcFrames(table)),
    );
    const file = await readFile(join(dir.path, "shards", "big.arrows"));
    expect(entry.digest).toBe(sha256Bytes(file));
    const index = indexIpcStreamBytes(file);
    expect(index.batches).toBeGreaterThan(4);
    for (const e of index.entries) {
      if (e.kind === "batch") expect(flightDataSize(e.headerLength, e.bodyLength)).toBeLessThanOrEqual(limit);
    }
    const back = tableFromIPC(file);
    expect(back.numRows).toBe(40_000);
    for (const row of [0, 19_999, 20_000, 39_999]) {
      expect(back.get(row)?.toJSON()).toEqual(table.get(row)?.toJSON());
    }
  });

  it("decodes Parquet to an Arrow IPC stream", async () => {
    const pq = await import("parquet-wasm");
    const source = makeTable(3000).select(["id", "value", "name"]);
    const parquetBytes = pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(source, "stream")));
    const ipc = await pool().parquetToIpc(parquetBytes, { transfer: true });
    const back = tableFromIPC(ipc);
    expect(back.numRows).toBe(3000);
    expect(back.getChild("name")?.get(2999)).toBe("name-2999");
  });

  it("sends task errors back as the task's own error class with its code", async () => {
    const error = await pool()
      .parquetToIpc(new TextEncoder().encode("not parquet at all"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerInvalidArgumentError);
    expect((error as WorkerInvalidArgumentError).code).toBe("WORKER_INVALID_ARGUMENT");
    expect((error as Error).message).toMatch(/not a readable Parquet file/);
  });

  it("compresses and decompresses, bounding the output", async () => {
    const input = new TextEncoder().encode("flight ".repeat(2_000));
    for (const codec of ["gzip", "brotli"] as const) {
      const packed = await pool().compress(input, codec, { level: 5 });
      expect(packed.byteLength).toBeLessThan(input.byteLength / 5);
      expect(Buffer.from(await pool().decompress(packed, codec, { maxOutputBytes: 1 << 20 }))).toEqual(
        Buffer.from(input),
      );
      await expect(pool().decompress(packed, codec, { maxOutputBytes: 1000 })).rejects.toThrow();
    }
  });

  it("digests bytes and files", async () => {
    const bytes = new Uint8Array(3 << 20).map((_, i) => i % 251);
    expect(await pool().digestBytes(bytes)).toBe(sha256Bytes(bytes));
    const path = join(dir.path, "f.bin");
    await (await import("node:fs/promises")).writeFile(path, bytes);
    expect(await pool().digestFile(path)).toBe(sha256Bytes(bytes));
  });
});

it("moves a received batch's own buffer to the thread instead of copying it", async () => {
  const pool = pools[0] as CpuPool;
  const frames = ipcFrames(makeTable(30_000, 30_000));
  const [schema, dictionary, batch] = frames as [IpcFrame, IpcFrame, IpcFrame];
  // A buffer holding only this message, as a received gRPC message does.
  const own = new Uint8Array(batch.header.byteLength + batch.body.byteLength);
  own.set(batch.header, 0);
  own.set(batch.body, batch.header.byteLength);
  const received = { header: own.subarray(0, batch.header.byteLength), body: own.subarray(batch.header.byteLength) };
  const pieces = await pool.rechunk({ schemaHeader: schema.header, dictionaries: [dictionary] }, received, 64 * 1024, {
    transfer: true,
  });
  expect(pieces.length).toBeGreaterThan(3);
  expect(own.byteLength).toBe(0); // detached: moved, not copied
  // A batch whose buffer also holds another large message is copied even when offered.
  const two = ipcFrames(makeTable(60_000, 30_000));
  const first = two.find((f, i) => i > 0 && f.body.byteLength > 100_000) as IpcFrame;
  const copied = await pool.rechunk({ schemaHeader: schema.header, dictionaries: [dictionary] }, first, 64 * 1024, {
    transfer: true,
  });
  expect(copied.length).toBe(pieces.length);
  expect(first.body.byteLength).toBeGreaterThan(0);
});

it("rejects work after close", async () => {
  const pool = createCpuPool({ threads: 1 });
  await pool.close();
  await expect(pool.digestBytes(new Uint8Array(4))).rejects.toBeInstanceOf(CpuPoolClosedError);
});

describe("threadExecArgv", () => {
  it("passes module loaders and warning switches to the threads and keeps V8 and process options", () => {
    expect(
      threadExecArgv([
        "--max-old-space-size=2048",
        "--heap-growing-percent=300",
        "--import",
        "./hooks.mjs",
        "--conditions",
        "development",
        "--require=./setup.cjs",
        "--enable-source-maps",
        "--title",
        "worker",
        "--no-warnings",
      ]),
    ).toEqual(["--import", "./hooks.mjs", "--require=./setup.cjs", "--enable-source-maps", "--no-warnings"]);
  });

  it("lets a process started with V8 flags run its thread pool", async () => {
    // Before threadExecArgv kept only thread-safe options, `new Worker` threw
    // ERR_WORKER_INVALID_EXEC_ARGV here and the worker command could not start.
    const pkg = fileURLToPath(new URL("..", import.meta.url));
    const script = `
      const { createCpuPool } = await import("./dist/cpu-pool.js");
      const pool = createCpuPool({ threads: 1 });
      const digest = await pool.digestBytes(new Uint8Array([1, 2, 3]));
      await pool.close();
      console.log(digest);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--max-old-space-size=1024", "--heap-growing-percent=300", "--input-type=module", "-e", script],
      { cwd: pkg },
    );
    expect(stdout.trim()).toBe(sha256Bytes(new Uint8Array([1, 2, 3])));
  });
});
