/**
 * The `flight-cluster` command line as a user runs it (the built dist/, as child
 * processes): bad arguments fail with one line and the right exit code; put of Arrow
 * IPC file/stream, Feather (LZ4) and Parquet files then get --out gives identical data
 * (checked by pyarrow); put through the write plan and --through-planner store identical
 * shards; bench against the cluster and against a pyarrow server; ls, status, rm; metrics;
 * and `up` serving its demo dataset to pyarrow, then draining on SIGTERM with exit code 0.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLI_MAIN,
  type Cluster,
  type CommandResult,
  lastJson,
  READY_LINE,
  runCli,
  runPython,
  startCluster,
} from "../kit/cluster.js";
import { startProcess } from "../kit/process.js";
import { pythonPath, REPO_ROOT, requirePyarrow } from "../kit/python.js";

const PYARROW_SERVERS = fileURLToPath(new URL("../client/pyarrow_flight_servers.py", import.meta.url));

interface BenchJson {
  endpoints: number;
  rows: number;
  bytes: number;
  passes: number;
  speedup: number;
  chart: string | null;
  results: { mode: string; concurrency: number; seconds: number[]; mbPerSecond: number; rowsPerSecond: number }[];
}

/** `bench` printed a table with both modes and positive rates, and wrote an SVG chart. */
async function expectBench(uri: string, dataset: string, chart: string, rows: number): Promise<void> {
  const table = await runCli(["bench", uri, dataset, "--passes", "2", "--concurrency", "4", "--chart", chart]);
  expect(table.code, table.stderr).toBe(0);
  const lines = table.stdout.split("\n");
  expect(lines.find((l) => l.startsWith("MODE"))).toMatch(
    /^MODE\s+CONCURRENCY\s+MEDIAN\s+MIN\s+MAX\s+MB\/S\s+ROWS\/S$/,
  );
  for (const [label, concurrency] of [
    ["(a) parallel", 4],
    ["(b) one at a time", 1],
  ] as const) {
    const line = lines.find((l) => l.startsWith(label));
    expect(line, table.stdout).toBeDefined();
    const cells = (line as string)
      .slice(label.length)
      .trim()
      .split(/\s{2,}/);
    expect(cells[0]).toBe(String(concurrency));
    expect(Number(cells[4])).toBeGreaterThan(0);
    expect(Number((cells[5] ?? "").replace(/,/g, ""))).toBeGreaterThan(0);
  }
  expect(table.stdout).toMatch(/parallel\/one-at-a-time: \d+\.\d\dx/);
  const svg = await readFile(chart, "utf8");
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  expect(svg).toContain("one at a time");

  const json = await runCli(["bench", uri, dataset, "--passes", "1", "--json"]);
  expect(json.code, json.stderr).toBe(0);
  const report = JSON.parse(json.stdout) as BenchJson;
  expect(report.rows).toBe(rows);
  expect(report.results.map((r) => [r.mode, r.concurrency, r.seconds.length])).toEqual([
    ["parallel", 4, 1],
    ["sequential", 1, 1],
  ]);
  for (const r of report.results) expect(r.mbPerSecond).toBeGreaterThan(0);
  expect(report.speedup).toBeGreaterThan(0);
}

/** A failed command printed exactly one line, prefixed, with no stack trace. */
function expectOneLineError(result: CommandResult, code: number, pattern: RegExp): void {
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
  const lines = result.stderr.split("\n").filter((line) => line.length > 0);
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^flight-cluster: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe("");
}

// Each case is a separate short-lived process: run a few at a time.
describe.concurrent("bad arguments", () => {
  it.each([
    [["frobnicate"], 2, /unknown command "frobnicate"/],
    [["put"], 2, /missing <planner-uri> <dataset> <file>/],
    [["put", "http://x:1", "d", "f.arrow"], 2, /is not a Flight URI/],
    [["put", "grpc+tcp://127.0.0.1:1", "../etc", "f.arrow"], 2, /invalid dataset name/],
    [["get", "grpc+tcp://127.0.0.1:9", "d", "--limit", "many"], 2, /--limit "many" is not an integer/],
    [["get", "grpc+tcp://127.0.0.1:9", "d", "--receive-threads", "65"], 2, /--receive-threads/],
    [
      ["get", "grpc+tcp://127.0.0.1:9", "d", "--colums", "a"],
      2,
      /unknown option '--colums' \(did you mean --columns\?\)/,
    ],
    [["ls", "grpc+tcp://127.0.0.1:9", "--timeout", "soon"], 2, /--timeout "soon" is not a duration/],
    [["planner"], 2, /needs --redis/],
    [
      ["planner", "--redis", "redis://127.0.0.1:1", "--replicas", "0"],
      2,
      /--replicas "0" is not an integer from 1 to 16/,
    ],
    [["planner", "--redis", "redis://127.0.0.1:1", "--shard-target-bytes", "lots"], 2, /is not a size/],
    [["worker", "--redis", "redis://127.0.0.1:1"], 2, /--zone/],
    [["up", "--workers", "0"], 2, /--workers "0"/],
    [["up", "--zones", "a,,b"], 2, /comma-separated/],
    [["up", "--workers", "1", "--replicas", "2"], 2, /--replicas 2 needs at least as many workers/],
    [["up", "--port", "0", "--advertise-host", "example.org"], 2, /--advertise-host needs a fixed --port/],
    [["ls", "grpc+tcp://127.0.0.1:1"], 1, /cannot reach grpc\+tcp:\/\/127\.0\.0\.1:1/],
    [["put", "grpc+tcp://127.0.0.1:1", "d", "/nonexistent/f.arrow"], 1, /\/nonexistent\/f\.arrow: no such file/],
  ])("flight-cluster %j exits %i with one line", async (args, code, pattern) => {
    expectOneLineError(await runCli(args, { timeoutMs: 30_000 }), code, pattern);
  });

  it("prints a stack trace only with --verbose", async () => {
    const result = await runCli(["ls", "grpc+tcp://127.0.0.1:1", "--verbose"]);
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toMatch(/^flight-cluster: cannot reach/);
    expect(result.stderr).toMatch(/\n\s+at /);
  });

  it("prints help with exit code 0", async () => {
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["up", "planner", "worker", "put", "get", "ls", "rm", "status", "bench"]) {
      expect(top.stdout).toMatch(new RegExp(`\\n  ${command}\\s`));
    }
    const put = await runCli(["put", "--help"]);
    expect(put.code).toBe(0);
    expect(put.stdout).toContain("Usage: flight-cluster put <planner-uri> <dataset> <file> [options]");
  });
});

describe("with a cluster", () => {
  const ROWS = 120_000;
  let cluster: Cluster;
  let dir: string;

  beforeAll(async () => {
    await requirePyarrow();
    dir = await mkdtemp(join(tmpdir(), "flight-cluster-cli-"));
    cluster = await startCluster({ workers: 3, shardTargetBytes: "1MiB", plannerArgs: ["--metrics-port", "0"] });
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  // The last column: get's --receive-threads (two of the round trips read in worker threads).
  it.each([
    ["arrow", "in.arrow", "out.parquet", "0"],
    ["stream", "in.arrows", "out.arrow", "2"],
    ["feather", "in.feather", "out.arrows", "0"],
    ["parquet", "in.parquet", "out.feather", "2"],
  ])("put of a %s file (%s), then get --out %s --receive-threads %s, gives identical data", async (format, input, output, receiveThreads) => {
    const source = join(dir, `${format}-${input}`);
    const written = lastJson<{ ok: boolean }>(
      await runPython("cluster_client.py", [
        "write-file",
        "--file",
        source,
        "--format",
        format,
        "--rows",
        String(ROWS),
        "--batch-rows",
        "20000",
      ]),
    );
    expect(written.ok).toBe(true);
    const dataset = `cli/${format}`;
    const put = await runCli(["put", cluster.plannerUri, dataset, source, "--json"]);
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ dataset, rows: ROWS });
    const target = join(dir, `${format}-${output}`);
    const get = await runCli([
      "get",
      cluster.plannerUri,
      dataset,
      "--out",
      target,
      "--receive-threads",
      receiveThreads,
    ]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toMatch(new RegExp(`get ${dataset}: 120,000 rows from \\d+ endpoint\\(s\\) -> `));
    const check = lastJson<{ ok: boolean; rows: number; equal: boolean }>(
      await runPython("cluster_client.py", ["read-file", "--file", target, "--rows", String(ROWS)]),
    );
    expect(check).toMatchObject({ ok: true, rows: ROWS, equal: true });
  });

  it("gets a projection, prints rows without --out, and reports unknown datasets in one line", async () => {
    const target = join(dir, "projection.parquet");
    const get = await runCli([
      "get",
      cluster.plannerUri,
      "cli/arrow",
      "--columns",
      "value,id",
      "--out",
      target,
      "--zone",
      "b",
    ]);
    expect(get.code, get.stderr).toBe(0);
    const check = lastJson<{ equal: boolean; columns: string[] }>(
      await runPython("cluster_client.py", [
        "read-file",
        "--file",
        target,
        "--rows",
        String(ROWS),
        "--columns",
        "value,id",
      ]),
    );
    // A projection comes back in the dataset's column order (docs/architecture.md).
    expect(check).toMatchObject({ equal: true, columns: ["id", "value"] });

    const shown = await runCli(["get", cluster.plannerUri, "cli/arrow", "--limit", "3"]);
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^\s*id\s+key\s+qty\s+value\s+flag$/);
    expect(lines[2]).toMatch(/^\s*0\s+key-0\s+/);
    expect(lines.at(-1)).toBe("(3 of 120,000 rows shown; use --out FILE for all of them)");

    expectOneLineError(await runCli(["get", cluster.plannerUri, "cli/nope"]), 1, /"cli\/nope" does not exist/);
    expect(await readdir(dir)).not.toContain(expect.stringMatching(/\.tmp$/));
  });

  it("put through the write plan (default) and --through-planner store identical shards", async () => {
    const source = join(dir, "paths.arrows");
    const written = lastJson<{ ok: boolean }>(
      await runPython("cluster_client.py", [
        "write-file",
        "--file",
        source,
        "--format",
        "stream",
        "--rows",
        String(ROWS),
        "--batch-rows",
        "15000",
      ]),
    );
    expect(written.ok).toBe(true);
    const direct = await runCli(["put", cluster.plannerUri, "cli/direct", source, "--concurrency", "3", "--json"]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout)).toMatchObject({ rows: ROWS, path: "write-plan", result: { rows: ROWS } });
    const planned = await runCli(["put", cluster.plannerUri, "cli/planned", source, "--through-planner", "--json"]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(JSON.parse(planned.stdout)).toMatchObject({ rows: ROWS, path: "planner" });
    // Not a terminal: progress, if any, is plain lines (no carriage returns).
    expect(direct.stderr + planned.stderr).not.toContain("\r");
    const shardsOf = async (dataset: string) => {
      const described = await runCli(["ls", cluster.plannerUri, dataset, "--json"]);
      expect(described.code, described.stderr).toBe(0);
      const answer = JSON.parse(described.stdout) as {
        rows: number;
        bytes: number;
        shards: Record<string, unknown>[];
      };
      return {
        rows: answer.rows,
        bytes: answer.bytes,
        shards: answer.shards.map((s) => ({
          index: s["index"],
          rows: s["rows"],
          bytes: s["bytes"],
          digest: s["digest"],
        })),
      };
    };
    const a = await shardsOf("cli/direct");
    expect(a.rows).toBe(ROWS);
    expect(a.shards.length).toBeGreaterThan(1);
    expect(a.shards.every((s) => typeof s.digest === "string" && s.digest.length > 0)).toBe(true);
    expect(await shardsOf("cli/planned")).toEqual(a);
    expectOneLineError(
      await runCli(["put", cluster.plannerUri, "cli/x", source, "--through-planner", "--concurrency", "2"]),
      2,
      /--concurrency applies only without --through-planner/,
    );
  });

  it("bench reads a dataset in parallel and one endpoint at a time, prints a table and writes a chart", async () => {
    await expectBench(cluster.plannerUri, "cli/arrow", join(dir, "bench.svg"), ROWS);
    expectOneLineError(
      await runCli(["bench", cluster.plannerUri, "cli/arrow", "--chart", join(dir, "bench.png")]),
      2,
      /must name an \.svg file/,
    );
    expectOneLineError(await runCli(["bench", cluster.plannerUri, "cli/nope"]), 1, /does not exist/);
  });

  it("lists, describes, shows status, and removes datasets", async () => {
    const ls = await runCli(["ls", cluster.plannerUri]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/^DATASET\s+VERSION\s+SHARDS\s+ROWS\s+BYTES\s+CREATED/);
    expect(ls.stdout).toMatch(/cli\/parquet\s+1\s+\d+\s+120,000/);

    const described = await runCli(["ls", cluster.plannerUri, "cli/parquet"]);
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/^cli\/parquet version 1: 120,000 rows/);
    expect(described.stdout).toMatch(/worker-\d@[abc] worker-\d@[abc]/);

    const status = await runCli(["status", cluster.plannerUri]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain("Workers (3 live)");
    for (const worker of cluster.workers) expect(status.stdout).toContain(worker.uri);
    expect(status.stdout).toMatch(/Zones\nZONE\s+WORKERS\s+REPLICAS/);
    expect(status.stdout).toContain("Under-replicated shards (0)");

    const removed = await runCli(["rm", cluster.plannerUri, "cli/stream"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain("dropped cli/stream");
    const names = (JSON.parse((await runCli(["ls", cluster.plannerUri, "--json"])).stdout) as { name: string }[]).map(
      (d) => d.name,
    );
    expect(names).not.toContain("cli/stream");
    expect(names).toContain("cli/parquet");
    expectOneLineError(await runCli(["rm", cluster.plannerUri, "cli/stream"]), 1, /does not exist/);
  });

  it("runs the README's commands as written", async () => {
    const readme = await readFile(join(REPO_ROOT, "packages/cli/README.md"), "utf8");
    const block = /test\/cluster\/cli\.test\.ts against a real cluster\. -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const source = join(dir, "sales.parquet");
    const written = lastJson<{ ok: boolean }>(
      await runPython("cluster_client.py", [
        "write-file",
        "--file",
        source,
        "--format",
        "parquet",
        "--rows",
        String(ROWS),
      ]),
    );
    expect(written.ok).toBe(true);
    const commands = (block as string)
      .split("\n")
      .filter((line) => line.startsWith("pnpm flight-cluster "))
      .map((line) =>
        line
          .slice("pnpm flight-cluster ".length)
          .split(/\s+/)
          .map((word) =>
            word === "$URI" ? cluster.plannerUri : word.includes(".") && !word.includes(",") ? join(dir, word) : word,
          ),
      );
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const args of commands) {
      const result = await runCli(args);
      expect(result.code, `flight-cluster ${args.join(" ")}\n${result.stderr}`).toBe(0);
      expect(result.stdout.length).toBeGreaterThan(0);
    }
    const subset = lastJson<{ rows: number; columns: string[]; equal: boolean }>(
      await runPython("cluster_client.py", [
        "read-file",
        "--file",
        join(dir, "sales-subset.arrow"),
        "--rows",
        String(ROWS),
        "--columns",
        "id,value",
      ]),
    );
    expect(subset).toMatchObject({ rows: ROWS, columns: ["id", "value"], equal: true });
  });

  it("serves Prometheus metrics and health on the metrics port", async () => {
    const url = /metrics (http:\/\/\S+\/metrics)/.exec(cluster.planner.handle.readyLine)?.[1];
    expect(url, cluster.planner.handle.readyLine).toBeDefined();
    const metrics = await fetch(url as string);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/flight_planner_rpc_total\{method="GetFlightInfo",code="OK"\} \d+/);
    expect(text).toContain("flight_planner_uploads_total");
    const health = await fetch((url as string).replace(/\/metrics$/, "/healthz"));
    expect(health.status).toBe(200);
  });
});

describe("bench against a pyarrow server", () => {
  it("prints both modes and writes a chart", async () => {
    await requirePyarrow();
    const dir = await mkdtemp(join(tmpdir(), "flight-cluster-cli-bench-"));
    const server = await startProcess({
      name: "pyarrow flight servers",
      command: pythonPath(),
      args: [PYARROW_SERVERS, "--servers", "2", "--endpoints", "6"],
      cwd: REPO_ROOT,
      isReady: (line) => line.includes('"listening"'),
      readyTimeoutMs: 60_000,
    });
    try {
      const locations = (JSON.parse(server.readyLine) as { locations: string[] }).locations;
      expect(locations).toHaveLength(2);
      // 6 endpoints of 5 batches of 500 rows each.
      await expectBench(locations[0] as string, "anything", join(dir, "pyarrow.svg"), 6 * 5 * 500);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("up", () => {
  it("prints ready with the planner URI, serves the demo dataset to pyarrow, and drains on SIGTERM", async () => {
    await requirePyarrow();
    const up = await startProcess({
      name: "flight-cluster up",
      command: process.execPath,
      args: [CLI_MAIN, "up", "--port", "0", "--ephemeral"],
      cwd: REPO_ROOT,
      isReady: (line) => READY_LINE.test(line),
      readyTimeoutMs: 180_000,
    });
    try {
      const uri = READY_LINE.exec(up.readyLine)?.[1] as string;
      expect(uri).toMatch(/^grpc\+tcp:\/\/127\.0\.0\.1:\d+$/);
      const demo = lastJson<{
        ok: boolean;
        rows: number;
        total_records: number;
        locations: number[];
        ids_in_order: boolean;
        amount_ok: boolean;
        regions: string[];
      }>(await runPython("cluster_client.py", ["read-demo", "--uri", uri]));
      expect(demo.ok).toBe(true);
      expect(demo.rows).toBe(1_000_000);
      expect(demo.total_records).toBe(1_000_000);
      expect(demo.locations.length).toBeGreaterThan(1);
      expect(demo.locations.every((n) => n === 2)).toBe(true);
      expect(demo.ids_in_order).toBe(true);
      expect(demo.amount_ok).toBe(true);
      expect(demo.regions).toEqual(["central", "east", "north", "online", "south", "west"]);
    } finally {
      const exit = await up.stop({ graceMs: 30_000 });
      expect(exit, up.diagnostics()).toEqual({ code: 0, signal: null });
    }
  }, 300_000);
});
