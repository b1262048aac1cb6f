import { readdirSync, readFileSync } from "node:fs";

/**
 * The line protocol between the benchmark harness and its child processes.
 *
 * Every child writes single-line JSON events on stdout (diagnostics go to stderr):
 * a server prints one {@link ReadyEvent} once it accepts calls and one {@link ExitEvent}
 * after its stdin closes (closing stdin is how the harness stops a server, so a server
 * never outlives the harness); a client prints one {@link ClientResultEvent}.
 * The Python processes (`py/bench_process.py`) speak the same protocol.
 */

/** Resource usage of one process. */
export interface ProcessUsage {
  /** Peak resident set size in bytes (Linux `VmHWM`; see {@link peakRssBytes}). */
  readonly maxRssBytes: number;
  /** User CPU time in seconds. */
  readonly cpuUserSeconds: number;
  /** System CPU time in seconds. */
  readonly cpuSystemSeconds: number;
  /**
   * Seconds this process's threads were runnable but waiting for a CPU (Linux
   * `/proc/self/task/<tid>/schedstat`, summed over live threads): time taken by other work on
   * the machine. Absent where the kernel does not report it.
   */
  readonly runQueueWaitSeconds?: number;
}

/** Printed by a server once it accepts calls. */
export interface ReadyEvent extends ProcessUsage {
  readonly event: "ready";
  /** The TCP port the server listens on (127.0.0.1). */
  readonly port: number;
  /** Scenario-specific facts (e.g. frame count and wire bytes of a pre-encoded stream). */
  readonly [key: string]: unknown;
}

/** Printed by a server after its stdin closed and it stopped serving. */
export interface ExitEvent extends ProcessUsage {
  readonly event: "exit";
}

/** One DoGet of the whole table, as timed by a client. */
export interface PassResult {
  /** Wall time from issuing the call to the end of the stream, seconds. */
  readonly seconds: number;
  /** Rows received. */
  readonly rows: number;
  /** Record batches (or, for the pass-through, gRPC messages) received. */
  readonly batches: number;
}

/** Printed by a client when all its passes are done. */
export interface ClientResultEvent extends ProcessUsage {
  readonly event: "result";
  /** Warm-up passes (not counted). */
  readonly warmup: readonly PassResult[];
  /** Timed passes. */
  readonly passes: readonly PassResult[];
  /** CPU seconds (user + system) spent during the timed passes only, when the client measured it. */
  readonly timedCpuSeconds?: number;
  /** Run-queue wait (see {@link ProcessUsage.runQueueWaitSeconds}) during the timed passes only. */
  readonly timedRunQueueWaitSeconds?: number;
}

/** Any event a child prints. */
export type BenchEvent = ReadyEvent | ExitEvent | ClientResultEvent;

/** Writes one event as a JSON line on stdout. */
export function emitEvent(event: BenchEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/**
 * Seconds the threads of this process spent waiting for a CPU so far (sum over live threads of
 * the second field of `/proc/self/task/<tid>/schedstat`, in nanoseconds); undefined off Linux.
 */
export function runQueueWaitSeconds(): number | undefined {
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return undefined;
  }
  let nanos = 0;
  for (const tid of tids) {
    try {
      nanos += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[1] ?? 0);
    } catch {
      // The thread exited while we listed them.
    }
  }
  return Number.isFinite(nanos) ? nanos / 1e9 : undefined;
}

/**
 * Peak resident set size of this process in bytes. On Linux this is `VmHWM` from
 * `/proc/self/status`: `getrusage`'s `ru_maxrss` (what `process.resourceUsage().maxRSS` reports)
 * survives `execve`, so a child started by a parent holding 500 MiB reports at least 500 MiB.
 * Elsewhere it falls back to `maxRSS`.
 */
export function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match?.[1] !== undefined) return Number(match[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Peak RSS (bytes), CPU seconds and run-queue wait of this process so far. */
export function processUsage(): ProcessUsage {
  const usage = process.resourceUsage();
  const wait = runQueueWaitSeconds();
  return {
    maxRssBytes: peakRssBytes(),
    cpuUserSeconds: usage.userCPUTime / 1e6,
    cpuSystemSeconds: usage.systemCPUTime / 1e6,
    ...(wait === undefined ? {} : { runQueueWaitSeconds: wait }),
  };
}

/**
 * Resolves when this process's stdin ends (the harness's stop signal). Reads and drops
 * whatever arrives, so nothing accumulates.
 */
export function stdinClosed(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.on("data", () => {});
    process.stdin.once("end", resolve);
    process.stdin.once("error", () => resolve());
    process.stdin.resume();
  });
}

/**
 * Prints `message` on stderr and exits with status 1. For the child processes' fatal errors,
 * which the harness reports with the scenario that failed.
 */
export function failProcess(message: string, cause?: unknown): never {
  const detail =
    cause instanceof Error ? `: ${cause.stack ?? cause.message}` : cause === undefined ? "" : `: ${String(cause)}`;
  process.stderr.write(`${message}${detail}\n`);
  process.exit(1);
}
