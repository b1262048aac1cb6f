/**
 * The DoGet benchmark harness: `pnpm bench:doget [--quick] [options]` (see bench-options.ts).
 *
 * Generates the tables once (pyarrow), then for every table runs each scenario as a server
 * process and a client process, and writes `<out>/<name>.json`, `.md` and `.svg`.
 * A scenario that fails is recorded with its error; the others still run.
 */
import { readdirSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { renderChart } from "./bench-chart.js";
import { killAllChildren, type RunningServer, runClient, startServer } from "./bench-child.js";
import { renderMarkdown } from "./bench-markdown.js";
import type { ResolvedBenchOptions, ScenarioId } from "./bench-options.js";
import { BENCH_USAGE, parseBenchOptions, SCENARIO_LABELS, TABLE_DESCRIPTIONS } from "./bench-options.js";
import type { BenchResult, ScenarioResult, TableInfo } from "./bench-result.js";
import { computeRatios } from "./bench-result.js";
import { summarizePasses } from "./bench-stats.js";
import type { CpuProfile } from "./cpu-profile-summary.js";
import { formatProfileSummary, summarizeCpuProfile } from "./cpu-profile-summary.js";
import { planScenario, profileDir } from "./doget-scenarios.js";
import { machineInfo } from "./machine-info.js";
import { type ScenarioRun, summarizeScenario } from "./scenario-summary.js";
import { type GeneratedTable, generateTables } from "./table-generator.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Loading a 1 GiB table and pre-encoding it takes seconds; this only catches a hung server. */
const READY_TIMEOUT_MS = 10 * 60_000;
/** Upper bound for one client process (all its passes); only catches a hang. */
const CLIENT_TIMEOUT_MS = 60 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

const log = (line: string): void => {
  process.stderr.write(`[bench:doget] ${line}\n`);
};

/** Runs one scenario once: its server, then its client, then stops the server. Never throws. */
async function runScenarioOnce(
  id: ScenarioId,
  table: GeneratedTable,
  options: ResolvedBenchOptions,
): Promise<ScenarioRun> {
  const before = loadavg()[0] ?? 0;
  const plan = planScenario(id, { options, table: table.table, tableFile: table.path, rows: table.rows });
  let server: RunningServer | undefined;
  try {
    server = await startServer(`${id} server`, plan.server, READY_TIMEOUT_MS);
    const ready = server.ready;
    const result = await runClient(`${id} client`, plan.client(ready), CLIENT_TIMEOUT_MS);
    const running = server;
    server = undefined;
    const exit = await running.stop(STOP_TIMEOUT_MS);
    return { ok: true, ready, exit, result, loadAverage: [before, loadavg()[0] ?? 0] };
  } catch (error) {
    if (server) await server.stop(STOP_TIMEOUT_MS).catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, loadAverage: [before, loadavg()[0] ?? 0] };
  }
}

async function summarizeProfiles(options: ResolvedBenchOptions): Promise<void> {
  const dir = profileDir(options);
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"))) {
    const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile;
    const text = formatProfileSummary(summarizeCpuProfile(profile), 25);
    await writeFile(join(dir, file.replace(/\.cpuprofile$/, ".txt")), `${text}\n`);
    process.stdout.write(`\n== CPU profile ${relative(REPO_ROOT, join(dir, file))}\n${text}\n`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseBenchOptions(argv, {
    python: process.env["FLIGHT_CLUSTER_PYTHON"] ?? join(REPO_ROOT, ".venv/bin/python"),
    workDir: join(REPO_ROOT, "benchmarks/.work"),
    outDir: join(REPO_ROOT, "benchmarks/results"),
  });
  if (options === "help") {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return;
  }
  await mkdir(options.workDir, { recursive: true });
  await mkdir(options.outDir, { recursive: true });
  if (options.cpuProf) {
    await rm(profileDir(options), { recursive: true, force: true });
    await mkdir(profileDir(options), { recursive: true });
  }
  log(`generating tables (${options.targetBytes / 2 ** 20} MiB each) in ${relative(REPO_ROOT, options.workDir)}`);
  const tables = await generateTables({ ...options, tables: options.tables });
  for (const t of tables) log(`${t.table}: ${t.rows} rows, ${t.batches} batches${t.reused ? " (reused)" : ""}`);
  const machine = machineInfo(options.python, REPO_ROOT);
  const runs = new Map<string, ScenarioRun[]>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const table of tables) {
      for (const id of options.scenarios) {
        const roundText = options.rounds > 1 ? `round ${round}/${options.rounds}: ` : "";
        log(`${roundText}${table.table} / ${SCENARIO_LABELS[id]} ...`);
        const run = await runScenarioOnce(id, table, options);
        if (run.ok) {
          const gbps = summarizePasses(run.result.passes, table.bodyBytes, table.rows).medianGBps;
          log(`  median ${gbps.toFixed(2)} GB/s`);
        } else {
          log(`  FAILED: ${run.error.split("\n")[0]}`);
        }
        const key = `${table.table}/${id}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
      }
    }
  }
  const scenarios: ScenarioResult[] = tables.flatMap((table) =>
    options.scenarios.map((id) =>
      summarizeScenario(
        id,
        { name: table.table, bodyBytes: table.bodyBytes, rows: table.rows },
        runs.get(`${table.table}/${id}`) ?? [],
      ),
    ),
  );
  const tableInfo: TableInfo[] = tables.map((t) => ({
    name: t.table,
    description: TABLE_DESCRIPTIONS[t.table],
    rows: t.rows,
    batches: t.batches,
    batchRows: t.batchRows,
    bodyBytes: t.bodyBytes,
    fileBytes: t.fileBytes,
  }));
  const result: BenchResult = {
    benchmark: "doget",
    date: new Date().toISOString(),
    command: `pnpm bench:doget${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`,
    quick: options.quick,
    passes: options.passes,
    warmup: options.warmup,
    rounds: options.rounds,
    machine,
    tables: tableInfo,
    scenarios,
    ratios: computeRatios(scenarios, options.tables),
  };
  const markdown = renderMarkdown(result);
  const base = join(options.outDir, options.resultName);
  await writeFile(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  await writeFile(`${base}.svg`, renderChart(result));
  process.stdout.write(`${markdown}\n`);
  log(`wrote ${relative(REPO_ROOT, base)}.{json,md,svg}`);
  if (options.cpuProf) await summarizeProfiles(options);
  if (scenarios.some((s) => s.status !== "ok")) process.exitCode = 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  killAllChildren();
  process.stderr.write(`[bench:doget] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
