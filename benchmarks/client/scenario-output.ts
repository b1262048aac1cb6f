/**
 * The line protocol between the harness and a scenario process (Node: fetch-scenario.ts;
 * Python: py/pyarrow_fetch.py). The process prints `{"event":"ready"}` once connected, then
 * answers each stdin line `pass` with one pass and a line `{"event":"pass", ...}` (a
 * {@link ScenarioPass}), and the line `end` (or the end of stdin) with
 * `{"event":"result","maxRssBytes":N}` before it exits 0 (the harness prefers the peak RSS it
 * reads from /proc: a child's own `ru_maxrss` starts from its parent's at fork). The harness alternates passes
 * between the scenarios' processes, so a burst of other work on the machine falls on all
 * scenarios alike rather than on whichever ran at that moment.
 */
import { readdirSync, readFileSync } from "node:fs";

/** One pass: GetFlightInfo plus every endpoint read to the end. */
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
  /** CPU seconds (user + system) of the process during the pass. */
  readonly cpuSeconds: number;
  /**
   * Seconds the process's threads waited for a CPU during the pass (Linux schedstat; 0 where
   * unknown): how much other work on the machine held the cores.
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
 * Checks that `value` (a parsed `pass` line) has the shape of a ScenarioPass.
 * @throws Error naming the first missing or mistyped field.
 */
export function parseScenarioPass(value: Record<string, unknown>): ScenarioPass {
  for (const field of ["seconds", "rows", "bytes", "batches", "endpoints", "cpuSeconds", "runQueueWaitSeconds"]) {
    if (typeof value[field] !== "number") throw new Error(`scenario pass field ${field} is not a number`);
  }
  if (typeof value["locations"] !== "object" || value["locations"] === null) {
    throw new Error("scenario pass field locations is not an object");
  }
  if (typeof value["checksum"] !== "string") throw new Error("scenario pass field checksum is not a string");
  return value as unknown as ScenarioPass;
}
