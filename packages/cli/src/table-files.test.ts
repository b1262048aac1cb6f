/**
 * Table files in and out: the CLI's reader and writer against each other and against
 * pyarrow (an independent implementation) for Arrow IPC file/stream, Feather v2 with
 * LZ4 (pyarrow's default), and Parquet. Also the LZ4 frame decoder against pyarrow's
 * LZ4 compressor, and clear errors for files that cannot be read.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RecordBatch, Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "./cli-error.js";
import { DEMO_SCHEMA, demoSalesBatches } from "./demo-dataset.js";
import { decodeLz4Frames } from "./lz4-frame.js";
import { openTableFile } from "./table-file-reader.js";
import { createTableFileWriter } from "./table-file-writer.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const PYTHON = process.env["FLIGHT_CLUSTER_PYTHON"] || join(REPO, ".venv/bin/python");

/** Run a Python snippet with pyarrow; returns its stdout. */
function python(code: string, ...args: string[]): string {
  return execFileSync(PYTHON, ["-c", code, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-table-files-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(path: string): Promise<{ format: string; table: Table; totalRows: number | undefined }> {
  const file = await openTableFile(path);
  const batches: RecordBatch[] = [];
  try {
    for await (const batch of file.batches()) batches.push(batch);
  } finally {
    await file.close();
  }
  return { format: file.format, table: new Table(file.schema, batches), totalRows: file.totalRows };
}

/** Column sums and first/last rows as pyarrow reports them for a file. */
const PY_SUMMARY = `
import sys, json, pyarrow as pa, pyarrow.compute as pc, pyarrow.parquet as pq, pyarrow.feather as feather
path = sys.argv[1]
t = pq.read_table(path) if path.endswith('.parquet') else feather.read_table(path) if path.endswith(('.arrow', '.feather')) else pa.ipc.open_stream(path).read_all()
print(json.dumps({"rows": t.num_rows, "id": pc.sum(t["id"]).as_py(), "amount": round(pc.sum(t["amount"]).as_py(), 2),
  "region0": t["region"][0].as_py(), "product_last": t["product"][-1].as_py(), "ts0": t["ts"][0].value}))
`;

function nodeSummary(table: Table) {
  let id = 0n;
  let amount = 0;
  for (const batch of table.batches) {
    const ids = batch.getChild("id")?.toArray() as BigInt64Array;
    for (const v of ids) id += v;
    const amounts = batch.getChild("amount")?.toArray() as Float64Array;
    for (const v of amounts) amount += v;
  }
  return {
    rows: table.numRows,
    id: Number(id),
    amount: Math.round(amount * 100) / 100,
    region0: table.getChild("region")?.get(0),
    product_last: table.getChild("product")?.get(table.numRows - 1),
    ts0: Number(table.getChild("ts")?.get(0)),
  };
}

describe("table files", () => {
  const rows = 70_000;
  const demo = new Table(DEMO_SCHEMA, [...demoSalesBatches(rows, 16_384)]);
  const expected = nodeSummary(demo);

  it.each([
    "demo.arrow",
    "demo.arrows",
    "demo.parquet",
  ])("writes %s that pyarrow and our reader read back", async (name) => {
    const path = join(dir, name);
    const writer = await createTableFileWriter(path, DEMO_SCHEMA);
    for (const batch of demo.batches) await writer.write(batch);
    const written = await writer.close();
    expect(written.rows).toBe(rows);
    expect(JSON.parse(python(PY_SUMMARY, path))).toEqual(expected);
    const back = await readAll(path);
    expect(back.format).toBe(
      name.endsWith(".parquet") ? "parquet" : name.endsWith(".arrows") ? "arrow-stream" : "arrow-file",
    );
    expect(nodeSummary(back.table)).toEqual(expected);
    expect(back.table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(
      DEMO_SCHEMA.fields.map((f) => `${f.name}:${f.type}`),
    );
  });

  it.each([
    ["lz4.feather", "feather.write_feather(t, p)"],
    ["plain.feather", "feather.write_feather(t, p, compression='uncompressed')"],
    ["py.arrows", "w = pa.ipc.new_stream(p, t.schema); w.write_table(t, max_chunksize=10000); w.close()"],
    [
      "lz4.arrows",
      "w = pa.ipc.new_stream(p, t.schema, options=pa.ipc.IpcWriteOptions(compression='lz4')); w.write_table(t, max_chunksize=7000); w.close()",
    ],
    ["py.parquet", "pq.write_table(t, p, row_group_size=25000)"],
  ])("reads pyarrow's %s", async (name, write) => {
    const source = join(dir, `source-${name}.arrow`);
    const writer = await createTableFileWriter(source, DEMO_SCHEMA);
    for (const batch of demo.batches) await writer.write(batch);
    await writer.close();
    const path = join(dir, name);
    python(
      `import sys, pyarrow as pa, pyarrow.feather as feather, pyarrow.parquet as pq
t = feather.read_table(sys.argv[1]); p = sys.argv[2]
${write}`,
      source,
      path,
    );
    const back = await readAll(path);
    expect(nodeSummary(back.table)).toEqual(expected);
    if (name.endsWith(".parquet")) expect(back.totalRows).toBe(rows);
  });

  it.each([
    ["empty.arrow", "", "the file is empty"],
    [
      "junk.bin",
      "this is not a table, just some text",
      "not an Arrow IPC file or stream, a Feather v2 file, or a Parquet file",
    ],
    ["missing.arrow", null, "no such file"],
  ])("rejects %s with a clear error", async (name, content, message) => {
    const path = join(dir, name);
    if (content !== null) await writeFile(path, content);
    const error = await openTableFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe("CLI_BAD_INPUT_FILE");
    expect((error as CliError).message).toContain(message);
    expect((error as CliError).message).toContain(path);
  });

  it("rejects Feather v1 and ZSTD-compressed Feather with instructions", async () => {
    const v1 = join(dir, "v1.feather");
    const zstd = join(dir, "zstd.feather");
    python(
      `import sys, warnings, pyarrow as pa, pyarrow.feather as feather
warnings.simplefilter("ignore")
t = pa.table({"a": list(range(1000))})
feather.write_feather(t, sys.argv[1], version=1)
feather.write_feather(t, sys.argv[2], compression="zstd")`,
      v1,
      zstd,
    );
    await expect(openTableFile(v1)).rejects.toThrow(/Feather v1 files are not supported/);
    const error = await readAll(zstd).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toContain("ZSTD-compressed");
  });

  it("reports a truncated IPC stream as corrupt data, not a crash", async () => {
    const full = join(dir, "full.arrows");
    const writer = await createTableFileWriter(full, DEMO_SCHEMA);
    for (const batch of demo.batches) await writer.write(batch);
    await writer.close();
    const bytes = await import("node:fs/promises").then((fs) => fs.readFile(full));
    const cut = join(dir, "cut.arrows");
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const error = await readAll(cut).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toMatch(/cut\.arrows: /);
  });

  it("leaves no file behind when a write is aborted, and fails clearly for a missing directory", async () => {
    const path = join(dir, "aborted.parquet");
    const writer = await createTableFileWriter(path, DEMO_SCHEMA);
    const [first] = demo.batches;
    if (first !== undefined) await writer.write(first);
    await writer.abort();
    expect((await readdir(dir)).filter((f) => f.includes("aborted"))).toEqual([]);
    const error = await createTableFileWriter(join(dir, "no/such/dir/x.arrow"), DEMO_SCHEMA).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe("CLI_OUTPUT_FAILED");
  });
});

describe("LZ4 frames", () => {
  it("decodes pyarrow's LZ4 frames of varied content", () => {
    const cases = python(`
import json, base64, os, random, pyarrow as pa
random.seed(3)
data = [b"", b"a", b"abc" * 5000, bytes(range(256)) * 300, bytes(random.getrandbits(8) for _ in range(70000)),
        b"".join(str(i).encode() for i in range(40000)), b"\\x00" * 300000]
print(json.dumps([[base64.b64encode(d).decode(), base64.b64encode(pa.compress(d, codec="lz4", asbytes=True)).decode()] for d in data]))
`);
    const pairs = JSON.parse(cases) as [string, string][];
    expect(pairs).toHaveLength(7);
    for (const [plain, compressed] of pairs) {
      const decoded = decodeLz4Frames(Buffer.from(compressed, "base64"));
      expect(Buffer.from(decoded).equals(Buffer.from(plain, "base64"))).toBe(true);
    }
  });

  it("rejects corrupt input without reading out of range", () => {
    expect(() => decodeLz4Frames(Uint8Array.of(1, 2, 3, 4, 5))).toThrow(/bad magic number/);
    const frame = Buffer.from(
      python(
        `import base64, pyarrow as pa; print(base64.b64encode(pa.compress(b"hello world " * 100, codec="lz4", asbytes=True)).decode())`,
      ),
      "base64",
    );
    expect(() => decodeLz4Frames(frame.subarray(0, frame.length - 6))).toThrow(/corrupt LZ4/);
    const bad = Buffer.from(frame);
    bad[bad.length - 10] = 0xff;
    expect(() => decodeLz4Frames(bad)).toThrow(/corrupt LZ4/);
  });
});
