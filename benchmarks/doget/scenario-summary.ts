/** Turning the runs of one scenario on one table (one per round) into its reported result. */
import type { ClientResultEvent, ExitEvent, ProcessUsage, ReadyEvent } from "./bench-events.js";
import type { ScenarioId, TableName } from "./bench-options.js";
import { SCENARIO_LABELS } from "./bench-options.js";
import type { ProcessFigures, ScenarioResult } from "./bench-result.js";
import { summarizePasses } from "./bench-stats.js";

/** One run of a scenario: a server process and a client process, or the error that stopped them. */
export type ScenarioRun =
  | {
      readonly ok: true;
      readonly ready: ReadyEvent;
      readonly exit: ExitEvent;
      readonly result: ClientResultEvent;
      /** 1-minute load average before and after the run. */
      readonly loadAverage: readonly [number, number];
    }
  | { readonly ok: false; readonly error: string; readonly loadAverage: readonly [number, number] };

const cpuOf = (usage: ProcessUsage): number => usage.cpuUserSeconds + usage.cpuSystemSeconds;
const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
const mean = (values: readonly number[]): number => (values.length === 0 ? 0 : sum(values) / values.length);

/** Sum of per-run values divided by the summed wall time; null if any run lacks the value. */
function perWall(parts: ReadonlyArray<{ value: number | undefined; wall: number }>): number | null {
  if (parts.some((part) => part.value === undefined)) return null;
  const wall = sum(parts.map((part) => part.wall));
  return wall > 0 ? sum(parts.map((part) => part.value ?? 0)) / wall : null;
}

function difference(after: number | undefined, before: number | undefined): number | undefined {
  return after === undefined || before === undefined ? undefined : after - before;
}

function serverFacts(ready: ReadyEvent): Record<string, unknown> {
  const { event, port, maxRssBytes, cpuUserSeconds, cpuSystemSeconds, runQueueWaitSeconds, ...facts } = ready;
  void [event, port, maxRssBytes, cpuUserSeconds, cpuSystemSeconds, runQueueWaitSeconds];
  return facts;
}

/**
 * The result of scenario `id` on `table` over its runs: throughput over every timed pass of
 * every run; peak RSS the largest of the runs; CPU and run-queue wait per wall second over the
 * runs' summed spans (a server's span is everything it served, warm-up included; a client's its
 * timed passes). A scenario with a failed run is reported failed, with the first error.
 *
 * @throws RangeError when `runs` is empty.
 */
export function summarizeScenario(
  id: ScenarioId,
  table: { readonly name: TableName; readonly bodyBytes: number; readonly rows: number },
  runs: readonly ScenarioRun[],
): ScenarioResult {
  if (runs.length === 0) throw new RangeError("a scenario needs at least one run");
  const base = {
    scenario: id,
    label: SCENARIO_LABELS[id],
    table: table.name,
    runs: runs.length,
    loadAverage: [mean(runs.map((run) => run.loadAverage[0])), mean(runs.map((run) => run.loadAverage[1]))] as const,
  };
  const failedAt = runs.findIndex((run) => !run.ok);
  const failed = runs[failedAt];
  if (failed !== undefined && !failed.ok) {
    const prefix = runs.length > 1 ? `round ${failedAt + 1}: ` : "";
    return { ...base, status: "failed", error: `${prefix}${failed.error}` };
  }
  const ok = runs.filter((run): run is Extract<ScenarioRun, { ok: true }> => run.ok);
  const passSeconds = (passes: ClientResultEvent["passes"]): number => sum(passes.map((pass) => pass.seconds));
  const server: ProcessFigures = {
    maxRssBytes: Math.max(...ok.map((run) => run.exit.maxRssBytes)),
    cpuSeconds: sum(ok.map((run) => cpuOf(run.exit))),
    cpuPerWall: perWall(
      ok.map((run) => ({
        value: cpuOf(run.exit) - cpuOf(run.ready),
        wall: passSeconds(run.result.warmup) + passSeconds(run.result.passes),
      })),
    ),
    waitPerWall: perWall(
      ok.map((run) => ({
        value: difference(run.exit.runQueueWaitSeconds, run.ready.runQueueWaitSeconds),
        wall: passSeconds(run.result.warmup) + passSeconds(run.result.passes),
      })),
    ),
  };
  const client: ProcessFigures = {
    maxRssBytes: Math.max(...ok.map((run) => run.result.maxRssBytes)),
    cpuSeconds: sum(ok.map((run) => cpuOf(run.result))),
    cpuPerWall: perWall(ok.map((run) => ({ value: run.result.timedCpuSeconds, wall: passSeconds(run.result.passes) }))),
    waitPerWall: perWall(
      ok.map((run) => ({ value: run.result.timedRunQueueWaitSeconds, wall: passSeconds(run.result.passes) })),
    ),
  };
  return {
    ...base,
    status: "ok",
    figures: summarizePasses(
      ok.flatMap((run) => run.result.passes),
      table.bodyBytes,
      table.rows,
    ),
    server,
    client,
    serverFacts: serverFacts(ok[0]!.ready),
  };
}
