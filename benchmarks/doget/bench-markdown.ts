/** Rendering a {@link BenchResult} as the Markdown report (benchmarks/results/doget.md). */
import type { BenchResult, ProcessFigures, ScenarioResult } from "./bench-result.js";

const MiB = 1024 * 1024;

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function rss(figures: ProcessFigures | undefined): string {
  return figures ? fixed(figures.maxRssBytes / MiB, 0) : "-";
}

function cpu(figures: ProcessFigures | undefined): string {
  return figures?.cpuPerWall == null ? "-" : fixed(figures.cpuPerWall, 2);
}

function wait(figures: ProcessFigures | undefined): string {
  return figures?.waitPerWall == null ? "-" : fixed(figures.waitPerWall, 2);
}

function scenarioRow(result: ScenarioResult): string {
  const load = `${fixed(result.loadAverage[0], 1)} / ${fixed(result.loadAverage[1], 1)}`;
  if (result.status !== "ok" || !result.figures) {
    const reason = (result.error ?? "failed").split("\n")[0]!.replaceAll("|", "\\|");
    return `| ${result.table} | ${result.label} | failed: ${reason} | | | | | | | | | ${load} |`;
  }
  const f = result.figures;
  return (
    `| ${result.table} | ${result.label} | **${fixed(f.medianGBps, 2)}** | ${fixed(f.minGBps, 2)} - ${fixed(f.maxGBps, 2)} ` +
    `| ${fixed(f.medianRowsPerSecond / 1e6, 1)} | ${rss(result.server)} | ${rss(result.client)} ` +
    `| ${cpu(result.server)} | ${cpu(result.client)} | ${wait(result.server)} | ${wait(result.client)} | ${load} |`
  );
}

/** The Markdown report: setup, one row per scenario and table, then the ratios against their targets. */
export function renderMarkdown(result: BenchResult): string {
  const m = result.machine;
  const lines: string[] = [
    `# DoGet benchmark${result.quick ? " (quick)" : ""}`,
    "",
    `Run ${result.date} with \`${result.command}\` at ${m.gitRevision}.`,
    `Machine: ${m.cpus} x ${m.cpuModel}, ${fixed(m.totalMemoryBytes / 1024 ** 3, 0)} GiB RAM, ${m.os}; ` +
      `Node ${m.node}, grpc-js ${m.grpcJs}, apache-arrow ${m.apacheArrow}, Python ${m.python}, pyarrow ${m.pyarrow}.`,
    `Each scenario: server and client in separate processes on 127.0.0.1, ${result.warmup} warm-up pass(es), ` +
      `then ${result.passes} timed passes of one DoGet of the whole table` +
      (result.rounds > 1
        ? `; the whole sequence ran ${result.rounds} times (rounds), and each figure covers all ` +
          `${result.rounds * result.passes} timed passes of its scenario.`
        : "."),
    "Throughput counts the table's Arrow body bytes (identical for every scenario); GB = 10^9 bytes. " +
      "CPU/wall: CPU seconds per wall second while serving (1.00 = one core busy; the machine has " +
      `${m.cpus}). Wait/wall: seconds the process's threads were runnable but waiting for a CPU, per wall ` +
      "second (time taken by other work on the shared machine; 0 on an idle machine). " +
      "Load: 1-minute load average before / after the scenario.",
    "",
    "| Table | Rows | Batches (rows each) | Arrow body | Content |",
    "| --- | ---: | ---: | ---: | --- |",
    ...result.tables.map(
      (t) =>
        `| ${t.name} | ${t.rows.toLocaleString("en-US")} | ${t.batches} (${t.batchRows}) | ` +
        `${fixed(t.bodyBytes / MiB, 0)} MiB | ${t.description} |`,
    ),
    "",
    "| Table | Scenario | Median GB/s | Min - max GB/s | Median Mrows/s | Server peak RSS MiB | Client peak RSS MiB | Server CPU/wall | Client CPU/wall | Server wait/wall | Client wait/wall | Load |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.scenarios.map(scenarioRow),
    "",
    "| Table | Ratio of median GB/s | Value | Target | Met |",
    "| --- | --- | ---: | ---: | --- |",
    ...result.ratios.map(
      (r) =>
        `| ${r.table} | ${r.name} | ${r.value === null ? "n/a" : fixed(r.value, 2)} | ` +
        `${r.target === null ? "" : `>= ${fixed(r.target, 2)}`} | ${r.met === null ? "" : r.met ? "yes" : "**no**"} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
