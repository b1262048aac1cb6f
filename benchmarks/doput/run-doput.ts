/**
 * DoPut benchmark: uploads of a 4 x int64 table into our FlightServer with HTTP/2's default
 * 64 KiB receive window and with 16 MiB, from our client and from pyarrow's (the reference),
 * plus pyarrow's own server as the ceiling, all in the same run. Writes results/doput.{json,md}.
 *
 * Usage: node benchmarks/dist/doput/run-doput.js [--mib N] [--batch-rows N] [--rounds N]
 *          [--warmup N] [--passes N] [--only id,id] [--quick] [--cpu-prof DIR]
 * (`pnpm bench:doput` builds first.) Python: env FLIGHT_CLUSTER_PYTHON, default .venv/bin/python.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, release, totalmem, type } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Ratio,
  type RunFacts,
  ratio,
  renderMarkdown,
  type ScenarioResult,
  type ScenarioSpec,
  summarize,
} from "./doput-report.js";
import { type Command, killChildren, runClient, startServer } from "./put-children.js";
import type { PutPass } from "./put-events.js";

const MiB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const pyDir = join(repoRoot, "benchmarks/doput/py");
const python = process.env["FLIGHT_CLUSTER_PYTHON"] ?? join(repoRoot, ".venv/bin/python");

const SCENARIOS: readonly ScenarioSpec[] = [
  { id: "ours-64k", client: "ours", server: "ours", windowBytes: 65_535, label: "ours, HTTP/2 default window" },
  { id: "ours-16m", client: "ours", server: "ours", windowBytes: 16 * MiB, label: "ours, 16 MiB window" },
  {
    id: "pyarrow-64k",
    client: "pyarrow",
    server: "ours",
    windowBytes: 65_535,
    label: "pyarrow client, default window",
  },
  {
    id: "pyarrow-16m",
    client: "pyarrow",
    server: "ours",
    windowBytes: 16 * MiB,
    label: "pyarrow client, 16 MiB window",
  },
  { id: "ours-to-pyarrow", client: "ours", server: "pyarrow", windowBytes: null, label: "our client into pyarrow" },
  { id: "pyarrow-to-pyarrow", client: "pyarrow", server: "pyarrow", windowBytes: null, label: "pyarrow both sides" },
];

interface Options {
  mib: number;
  batchRows: number;
  rounds: number;
  warmup: number;
  passes: number;
  only: readonly string[] | undefined;
  quick: boolean;
  cpuProf: string | undefined;
}

const HELP = `pnpm bench:doput [options]
  --mib N          table size, MiB of Arrow body (default 512; 64 with --quick)
  --batch-rows N   rows per record batch (default 32768: 1 MiB per FlightData message)
  --rounds N       run the whole scenario sequence N times (default 2; 1 with --quick)
  --warmup N       warm-up passes per scenario and round (default 1)
  --passes N       timed passes per scenario and round (default 3; 2 with --quick)
  --only a,b       only these scenarios (${SCENARIOS.map((s) => s.id).join(", ")})
  --quick          small run; writes results/doput-quick.* instead
  --cpu-prof DIR   write V8 CPU profiles of the Node children to DIR`;

function parseOptions(argv: readonly string[]): Options {
  const flags = new Map<string, string>();
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(`${HELP}\n`);
      process.exit(0);
    }
    if (arg === "--quick") quick = true;
    else if (arg.startsWith("--") && argv[i + 1] !== undefined) flags.set(arg, argv[++i]!);
    else throw new Error(`unknown argument ${arg}\n${HELP}`);
  }
  const int = (flag: string, fallback: number, min: number) => {
    const text = flags.get(flag);
    flags.delete(flag);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min)
      throw new Error(`${flag} must be an integer >= ${min}, got "${text}"`);
    return value;
  };
  const options: Options = {
    mib: int("--mib", quick ? 64 : 512, 1),
    batchRows: int("--batch-rows", 32_768, 1),
    rounds: int("--rounds", quick ? 1 : 2, 1),
    warmup: int("--warmup", 1, 0),
    passes: int("--passes", quick ? 2 : 3, 1),
    only: flags.get("--only")?.split(","),
    quick,
    cpuProf: flags.get("--cpu-prof"),
  };
  flags.delete("--only");
  flags.delete("--cpu-prof");
  if (flags.size > 0) throw new Error(`unknown option ${[...flags.keys()].join(", ")}\n${HELP}`);
  const unknown = options.only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}`);
  return options;
}

function nodeCommand(script: string, args: readonly string[], options: Options, name: string): Command {
  const prof =
    options.cpuProf === undefined
      ? []
      : ["--cpu-prof", "--cpu-prof-dir", options.cpuProf, "--cpu-prof-name", `${name}-${Date.now()}.cpuprofile`];
  return { command: process.execPath, args: [...prof, join(here, script), ...args] };
}

function serverCommand(spec: ScenarioSpec, options: Options): Command {
  if (spec.server === "pyarrow") return { command: python, args: [join(pyDir, "pyarrow_put_server.py")] };
  return nodeCommand("put-server.js", ["--window", String(spec.windowBytes)], options, `${spec.id}-server`);
}

function clientCommand(spec: ScenarioSpec, port: number, rows: number, options: Options): Command {
  const args = ["--port", String(port), "--rows", String(rows), "--batch-rows", String(options.batchRows)];
  args.push("--warmup", String(options.warmup), "--passes", String(options.passes));
  if (spec.client === "pyarrow") return { command: python, args: [join(pyDir, "pyarrow_put.py"), ...args] };
  return nodeCommand("put-client.js", args, options, `${spec.id}-client`);
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(join(repoRoot, "benchmarks/package.json"));
    let dir = dirname(require.resolve(name));
    for (;;) {
      try {
        const json = require(join(dir, "package.json")) as { name?: string; version?: string };
        if (json.name === name && json.version !== undefined) return json.version;
      } catch {
        // no package.json here; keep walking up
      }
      const parent = dirname(dir);
      if (parent === dir) return "unknown";
      dir = parent;
    }
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const rows = Math.floor((options.mib * MiB) / 32);
  const bodyBytes = rows * 32;
  const specs = SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.id));
  if (options.cpuProf !== undefined) mkdirSync(options.cpuProf, { recursive: true });
  const passes = new Map<string, PutPass[]>(specs.map((s) => [s.id, []]));
  const loads = new Map<string, number[]>(specs.map((s) => [s.id, []]));
  const errors = new Map<string, string>();
  let batches = 0;
  const clientTimeoutMs = Math.max(600_000, ((options.warmup + options.passes) * options.mib * 1000) / 2);
  for (let round = 1; round <= options.rounds; round++) {
    for (const spec of specs) {
      if (errors.has(spec.id)) continue;
      loads.get(spec.id)!.push(loadavg()[0]!);
      process.stderr.write(`round ${round}/${options.rounds}: ${spec.id} ... `);
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      try {
        server = await startServer(`${spec.id} server`, serverCommand(spec, options), 60_000);
        const result = await runClient(
          `${spec.id} client`,
          clientCommand(spec, server.port, rows, options),
          clientTimeoutMs,
        );
        batches = result.batches;
        passes.get(spec.id)!.push(...result.passes);
        const last = result.passes.map((p) => ((bodyBytes / MiB / p.seconds) | 0).toString()).join(", ");
        process.stderr.write(`${last} MiB/s\n`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        errors.set(spec.id, message);
        process.stderr.write(`FAILED\n${message}\n`);
      } finally {
        await server?.stop(10_000);
      }
    }
  }
  const results: ScenarioResult[] = specs.map((spec) => {
    const timed = passes.get(spec.id)!;
    const error = errors.get(spec.id);
    const base = { spec, passes: timed, loadAverages: loads.get(spec.id)! };
    if (error !== undefined || timed.length === 0) return { ...base, status: "failed", error: error ?? "no pass" };
    return { ...base, status: "ok", figures: summarize(timed, bodyBytes) };
  });
  const ratios: Ratio[] = [
    ratio(results, "window, our client", "ours-16m", "ours-64k"),
    ratio(results, "window, pyarrow client", "pyarrow-16m", "pyarrow-64k"),
    ratio(results, "our client vs pyarrow's, into our server (16 MiB)", "ours-16m", "pyarrow-16m"),
    ratio(results, "our server vs pyarrow's, pyarrow client", "pyarrow-16m", "pyarrow-to-pyarrow"),
    ratio(results, "our client vs pyarrow's, into pyarrow's server", "ours-to-pyarrow", "pyarrow-to-pyarrow"),
  ];
  const pythonInfo = run(python, ["-c", "import sys, pyarrow; print(sys.version.split()[0], pyarrow.__version__)"]);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    totalMemoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    python: pythonInfo.split(" ")[0] ?? "unknown",
    pyarrow: pythonInfo.split(" ")[1] ?? "unknown",
    grpcJs: packageVersion("@grpc/grpc-js"),
    apacheArrow: packageVersion("apache-arrow"),
    gitRevision: run("git", ["describe", "--always", "--dirty"]),
  };
  const command = `pnpm bench:doput ${process.argv.slice(2).join(" ")}`.trim();
  const facts: RunFacts = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${machine.cpus} vCPU ${machine.cpuModel}, ${(machine.totalMemoryBytes / 1024 ** 3).toFixed(0)} GiB`,
    software: `Node ${machine.node}, grpc-js ${machine.grpcJs}, apache-arrow ${machine.apacheArrow}, pyarrow ${machine.pyarrow} (Python ${machine.python}), ${machine.gitRevision}`,
    command,
    bodyBytes,
    rows,
    batches,
    batchRows: options.batchRows,
    rounds: options.rounds,
    warmup: options.warmup,
    passes: options.passes,
  };
  const outDir = join(repoRoot, "benchmarks/results");
  mkdirSync(outDir, { recursive: true });
  const stem = options.quick ? "doput-quick" : "doput";
  const json = { facts, machine, scenarios: results, ratios };
  writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(outDir, `${stem}.md`), renderMarkdown(facts, results, ratios));
  process.stderr.write(`wrote benchmarks/results/${stem}.json and ${stem}.md\n`);
  if (errors.size > 0) process.exitCode = 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}
process.once("exit", killChildren);
main().catch((error: unknown) => {
  killChildren();
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
