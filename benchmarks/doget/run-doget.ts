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
import type { ExitEvent, ProcessUsage, ReadyEvent } from "./bench-events.js";
import { renderMarkdown } from "./bench-markdown.js";
import type { ResolvedBenchOptions, ScenarioId } from "./bench-options.js";
import { BENCH_USAGE, parseBenchOptions, SCENARIO_LABELS, TABLE_DESCRIPTIONS } from "./bench-options.js";
import type { BenchResult, ProcessFigures, ScenarioResult, TableInfo } from "./bench-result.js";
import { computeRatios } from "./bench-result.js";
import { summarizePasses } from "./bench-stats.js";
import type { CpuProfile } from "./cpu-profile-summary.js";
import { formatProfileSummary, summarizeCpuProfile } from "./cpu-profile-summary.js";
import { planScenario, profileDir } from "./doget-scenarios.js";
import { machineInfo } from "./machine-info.js";
import { type GeneratedTable, generateTables } from "./table-generator.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Loading a 1 GiB table and pre-encoding it takes seconds; this only catches a hung server. */
const READY_TIMEOUT_MS = 10 * 60_000;
/** Upper bound for one client process (all its passes); only catches a hang. */
const CLIENT_TIMEOUT_MS = 60 * 60_000;
const STOP_TIMEOUT_MS = 60_000;

const cpuOf = (usage: ProcessUsage): number => usage.cpuUserSeconds + usage.cpuSystemSeconds;
const log = (line: string): void => {
  process.stderr.write(`[bench:doget] ${line}\n`);
};

function serverFacts(ready: ReadyEvent): Record<string, unknown> {
  const { event, port, maxRssBytes, cpuUserSeconds, cpuSystemSeconds, runQueueWaitSeconds, ...facts } = ready;
  void [event, port, maxRssBytes, cpuUserSeconds, cpuSystemSeconds, runQueueWaitSeconds];
  return facts;
}

async function runScenario(
  id: ScenarioId,
  table: GeneratedTable,
  options: ResolvedBenchOptions,
): Promise<ScenarioResult> {
  const base = { scenario: id, label: SCENARIO_LABELS[id], table: table.table };
  const loadBefore = loadavg()[0] ?? 0;
  const plan = planScenario(id, { options, table: table.table, tableFile: table.path, rows: table.rows });
  let server: RunningServer | undefined;
  try {
    server = await startServer(`${id} server`, plan.server, READY_TIMEOUT_MS);
    const ready = server.ready;
    const result = await runClient(`${id} client`, plan.client(ready), CLIENT_TIMEOUT_MS);
    const running = server;
    server = undefined;
    const exit: ExitEvent = await running.stop(STOP_TIMEOUT_MS);
    const figures = summarizePasses(result.passes, table.bodyBytes, table.rows);
    const servedSeconds = [...result.warmup, ...result.passes].reduce((sum, pass) => sum + pass.seconds, 0);
    const timedSeconds = result.passes.reduce((sum, pass) => sum + pass.seconds, 0);
    const perWall = (seconds: number | undefined, wall: number): number | null =>
      seconds !== undefined && wall > 0 ? seconds / wall : null;
    const serverWait =
      exit.runQueueWaitSeconds !== undefined && ready.runQueueWaitSeconds !== undefined
        ? exit.runQueueWaitSeconds - ready.runQueueWaitSeconds
        : undefined;
    const serverFigures: ProcessFigures = {
      maxRssBytes: exit.maxRssBytes,
      cpuSeconds: cpuOf(exit),
      cpuPerWall: perWall(cpuOf(exit) - cpuOf(ready), servedSeconds),
      waitPerWall: perWall(serverWait, servedSeconds),
    };
    const clientFigures: ProcessFigures = {
      maxRssBytes: result.maxRssBytes,
      cpuSeconds: cpuOf(result),
      cpuPerWall: perWall(result.timedCpuSeconds, timedSeconds),
      waitPerWall: perWall(result.timedRunQueueWaitSeconds, timedSeconds),
    };
    return {
      ...base,
      status: "ok",
      figures,
      server: serverFigures,
      client: clientFigures,
      serverFacts: serverFacts(ready),
      loadAverage: [loadBefore, loadavg()[0] ?? 0],
    };
  } catch (error) {
    if (server) await server.stop(STOP_TIMEOUT_MS).catch(() => undefined);
    return {
      ...base,
      status: "failed",
      error: error instanceof Error ? error.message : String(error),
      loadAverage: [loadBefore, loadavg()[0] ?? 0],
    };
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
  const scenarios: ScenarioResult[] = [];
  for (const table of tables) {
    for (const id of options.scenarios) {
      log(`${table.table} / ${SCENARIO_LABELS[id]} ...`);
      const result = await runScenario(id, table, options);
      log(
        result.status === "ok"
          ? `  median ${result.figures?.medianGBps.toFixed(2)} GB/s`
          : `  FAILED: ${result.error?.split("\n")[0]}`,
      );
      scenarios.push(result);
    }
  }
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
