/** The client-side measuring loop shared by the Node benchmark clients. */
import type { ClientResultEvent, PassResult } from "./bench-events.js";
import { processUsage, runQueueWaitSeconds } from "./bench-events.js";
import { startCpuProfile } from "./cpu-profiler.js";

/** Counts what one pass received. */
export interface PassCount {
  /** Rows received. */
  readonly rows: number;
  /** Batches or messages received. */
  readonly batches: number;
}

/** What to run and how often. */
export interface TimedPassOptions {
  /** Untimed passes first (JIT, connection, allocator warm-up). */
  readonly warmup: number;
  /** Timed passes. */
  readonly passes: number;
  /** Every pass must deliver exactly this many rows. */
  readonly expectRows: number;
  /** Write a CPU profile of the timed passes (not the warm-up) to this file. */
  readonly cpuProfile?: string | undefined;
  /** Performs one complete DoGet and reports what it received. */
  readonly onePass: () => Promise<PassCount>;
}

/**
 * Runs `warmup` then `passes` passes one after another, timing each with a monotonic clock,
 * and checks each pass's row count. With `cpuProfile`, profiles the timed passes only.
 *
 * @returns the result event to print (resource usage included).
 * @throws Error when a pass delivers a different number of rows than expected.
 */
export async function runTimedPasses(options: TimedPassOptions): Promise<ClientResultEvent> {
  const warmup: PassResult[] = [];
  const passes: PassResult[] = [];
  const timePass = async (): Promise<PassResult> => {
    const start = process.hrtime.bigint();
    const count = await options.onePass();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (count.rows !== options.expectRows) {
      throw new Error(`received ${count.rows} rows, expected ${options.expectRows}`);
    }
    return { seconds, rows: count.rows, batches: count.batches };
  };
  for (let i = 0; i < options.warmup; i++) warmup.push(await timePass());
  const profiling = await startCpuProfile(options.cpuProfile);
  const before = process.resourceUsage();
  const waitBefore = runQueueWaitSeconds();
  for (let i = 0; i < options.passes; i++) passes.push(await timePass());
  const waitAfter = runQueueWaitSeconds();
  const after = process.resourceUsage();
  await profiling.stop();
  const timedCpuSeconds = (after.userCPUTime - before.userCPUTime + after.systemCPUTime - before.systemCPUTime) / 1e6;
  const timedWait =
    waitBefore === undefined || waitAfter === undefined ? {} : { timedRunQueueWaitSeconds: waitAfter - waitBefore };
  return { event: "result", warmup, passes, timedCpuSeconds, ...timedWait, ...processUsage() };
}
