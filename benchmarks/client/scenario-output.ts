/**
 * The JSON line a scenario process prints at the end (Node: fetch-scenario.ts; Python:
 * py/pyarrow_fetch.py), read by the harness.
 */
import { readdirSync, readFileSync } from "node:fs";

/** One timed pass: GetFlightInfo plus every endpoint read to the end. */
export interface ScenarioPass {
  /** Wall time of the pass, seconds (monotonic clock). */
  readonly seconds: number;
  /** Rows read (must equal the FlightInfo's total_records). */
  readonly rows: number;
  /** The FlightInfo's total_bytes (the stored shards' bytes; the same for every scenario). */
  readonly bytes: number;
  /** Record batches read. */
  readonly batches: number;
  /** Endpoints in the FlightInfo. */
  readonly endpoints: number;
  /** Location URI -> endpoints it served in this pass. */
  readonly locations: Readonly<Record<string, number>>;
  /** XOR of values read at the ends of each batch (proves the batches were decoded). */
  readonly checksum: string;
}

/** The result line of a scenario process. */
export interface ScenarioOutput {
  readonly event: "result";
  /** The timed passes, in run order (warm-up passes are not included). */
  readonly passes: readonly ScenarioPass[];
  /** CPU seconds (user + system) of the process over the timed passes. */
  readonly cpuSeconds: number;
  /** Peak resident set size of the process, bytes. */
  readonly maxRssBytes: number;
  /**
   * Seconds the process's threads waited for a CPU over the timed passes (Linux schedstat;
   * 0 where unknown): how much other work on the machine slowed it down.
   */
  readonly runQueueWaitSeconds: number;
}

/**
 * Seconds the threads of this process have waited for a CPU so far (the second field of
 * /proc/self/task/<tid>/schedstat); 0 where /proc is not available.
 */
export function runQueueWaitSeconds(): number {
  let nanos = 0;
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return 0;
  }
  for (const tid of tids) {
    try {
      nanos += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[1] ?? 0);
    } catch {
      // The thread exited while we listed them.
    }
  }
  return nanos / 1e9;
}

/**
 * Checks that `value` (a parsed result line) has the shape of a ScenarioOutput.
 * @throws Error naming the first missing or mistyped field.
 */
export function parseScenarioOutput(value: Record<string, unknown>): ScenarioOutput {
  const passes = value["passes"];
  if (!Array.isArray(passes) || passes.length === 0) throw new Error("scenario result has no passes");
  for (const [i, pass] of passes.entries()) {
    const p = pass as Record<string, unknown>;
    for (const field of ["seconds", "rows", "bytes", "batches", "endpoints"]) {
      if (typeof p[field] !== "number") throw new Error(`scenario result passes[${i}].${field} is not a number`);
    }
    if (typeof p["locations"] !== "object" || p["locations"] === null) {
      throw new Error(`scenario result passes[${i}].locations is not an object`);
    }
  }
  for (const field of ["cpuSeconds", "maxRssBytes", "runQueueWaitSeconds"]) {
    if (typeof value[field] !== "number") throw new Error(`scenario result ${field} is not a number`);
  }
  return value as unknown as ScenarioOutput;
}
