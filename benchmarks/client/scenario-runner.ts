/**
 * Running the scenarios of one dataset: every scenario's process is started once and kept
 * warm, then passes are taken in rounds, one scenario at a time, the order rotating each
 * round (line protocol: scenario-output.ts). A burst of other work on a shared machine
 * therefore falls on all scenarios alike instead of on whichever ran at that moment. The
 * first `warmup` rounds are not counted.
 */
import { type BenchChild, peakRssBytesOf, startChild } from "./child-process.js";
import type { ScenarioId, ScenarioRun } from "./client-result.js";
import { parseScenarioPass, type ScenarioPass } from "./scenario-output.js";

/** A scenario's command line. */
export interface ScenarioCommand {
  readonly id: ScenarioId;
  readonly command: string;
  readonly args: readonly string[];
}

/** CPU seconds used by the cluster's processes. */
export interface ClusterCpu {
  readonly total: number;
  readonly proxies: number;
}

/** Options of {@link runScenarios}. */
export interface RunScenariosOptions {
  readonly scenarios: readonly ScenarioCommand[];
  /** Rounds not counted (connections, JIT, probes). */
  readonly warmup: number;
  /** Counted rounds. */
  readonly passes: number;
  /**
   * CPU seconds the cluster's processes have used so far (sampled around every pass): in
   * total, and the part of it used by the delay proxies.
   */
  readonly clusterCpuSeconds: () => ClusterCpu;
  /** Longest a pass may take, ms. */
  readonly passTimeoutMs: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/**
 * Runs the scenarios and returns what each measured, by id.
 * @throws Error naming the scenario whose process failed, after stopping every process.
 */
export async function runScenarios(options: RunScenariosOptions): Promise<Map<ScenarioId, ScenarioRun>> {
  const children: Array<{ readonly id: ScenarioId; readonly child: BenchChild }> = [];
  try {
    for (const scenario of options.scenarios) {
      const child = await startChild({
        name: `scenario ${scenario.id}`,
        command: scenario.command,
        args: scenario.args,
        isReady: (line) => line.includes('"ready"'),
      });
      children.push({ id: scenario.id, child });
    }
    const passes = new Map<ScenarioId, ScenarioPass[]>(children.map(({ id }) => [id, []]));
    const clusterCpu = new Map<ScenarioId, ClusterCpu>(children.map(({ id }) => [id, { total: 0, proxies: 0 }]));
    const rounds = options.warmup + options.passes;
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < children.length; k++) {
        const { id, child } = children[(round + k) % children.length] as (typeof children)[number];
        const before = options.clusterCpuSeconds();
        child.writeLine("pass");
        const pass = parseScenarioPass(await child.nextEvent("pass", options.passTimeoutMs));
        const after = options.clusterCpuSeconds();
        if (round < options.warmup) continue;
        passes.get(id)?.push(pass);
        const sum = clusterCpu.get(id) ?? { total: 0, proxies: 0 };
        clusterCpu.set(id, {
          total: sum.total + after.total - before.total,
          proxies: sum.proxies + after.proxies - before.proxies,
        });
      }
      options.log?.(`round ${round + 1}/${rounds}${round < options.warmup ? " (warm-up)" : ""} done`);
    }
    const runs = new Map<ScenarioId, ScenarioRun>();
    for (const { id, child } of children) {
      const peak = peakRssBytesOf(child.pid);
      child.writeLine("end");
      const result = await child.nextEvent("result", 30_000);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        child.exited,
        new Promise<"still running">((resolve) => {
          timer = setTimeout(() => resolve("still running"), 15_000);
        }),
      ]);
      clearTimeout(timer);
      if (code !== 0) throw new Error(`scenario ${id} did not exit 0 after its result: ${code}`);
      runs.set(id, {
        passes: passes.get(id) ?? [],
        clusterCpuSeconds: clusterCpu.get(id)?.total ?? 0,
        proxyCpuSeconds: clusterCpu.get(id)?.proxies ?? 0,
        // The child's own getrusage() figure includes the harness's RSS inherited at fork.
        maxRssBytes: peak ?? Number(result["maxRssBytes"]),
      });
    }
    return runs;
  } finally {
    await Promise.all(children.map(({ child }) => child.stop(5_000).catch(() => undefined)));
  }
}
