/** Command-line options of the DoGet benchmark harness (`pnpm bench:doget [options]`). */
import { parseArgs } from "node:util";
import { parseCount, parsePositiveInt } from "./cli-args.js";

/** The tables the benchmark serves. */
export const TABLE_NAMES = ["fixed", "strings"] as const;
/** One table's name: `fixed` (4 x int64) or `strings` (1 int64 + 2 utf8). */
export type TableName = (typeof TABLE_NAMES)[number];

/** The scenarios, in the order they run for each table. */
export const SCENARIO_IDS = ["b", "c", "a", "a2"] as const;
/** (a) our server and client, (a2) our server streaming pre-encoded frames, (b) grpc-js pass-through, (c) pyarrow.flight. */
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** Options as validated and filled in; nothing is optional after {@link parseBenchOptions}. */
export interface ResolvedBenchOptions {
  /** Smaller tables and fewer passes, written to `doget-quick.*` so full results are kept. */
  readonly quick: boolean;
  /** Arrow body bytes each table is generated to reach (the last batch may overshoot). */
  readonly targetBytes: number;
  /** Rows per record batch in the generated file. */
  readonly batchRows: number;
  /** Timed passes per scenario. */
  readonly passes: number;
  /** Untimed warm-up passes per scenario. */
  readonly warmup: number;
  /**
   * Run the whole sequence (every table, every scenario) this many times, one round after
   * another, and report each scenario over the timed passes of all its runs: on a shared machine
   * this spreads bursts of other work over every scenario instead of hitting one.
   */
  readonly rounds: number;
  /** Tables to run, in order. */
  readonly tables: readonly TableName[];
  /** Scenarios to run, in order. */
  readonly scenarios: readonly ScenarioId[];
  /** Write CPU profiles of the Node processes (scenarios a, a2, b; serving and timed passes only) into `<workDir>/profiles`. */
  readonly cpuProf: boolean;
  /** Python interpreter with pyarrow. */
  readonly python: string;
  /** Directory for generated tables and profiles (gitignored). */
  readonly workDir: string;
  /** Directory the results are written to. */
  readonly outDir: string;
  /** Base name of the result files (`doget` or `doget-quick`). */
  readonly resultName: string;
}

/** Usage text printed for `--help` and after an invalid option. */
export const BENCH_USAGE = `Usage: pnpm bench:doget [--quick] [--passes N] [--warmup N] [--rounds N] [--size-mib N] [--batch-rows N]
                        [--tables fixed,strings] [--scenarios b,c,a,a2] [--cpu-prof]
                        [--python PATH] [--out DIR] [--work DIR]`;

function parseList<T extends string>(text: string | undefined, known: readonly T[], flag: string): readonly T[] {
  if (text === undefined) return known;
  const items = text.split(",").map((item) => item.trim());
  const unknown = items.filter((item) => !(known as readonly string[]).includes(item));
  if (unknown.length > 0 || items.length === 0) {
    throw new Error(`${flag}: unknown ${unknown.join(", ") || "(empty)"}; known: ${known.join(", ")}`);
  }
  return known.filter((item) => items.includes(item));
}

/**
 * Parses and validates the harness's arguments.
 *
 * @param argv arguments after the script name.
 * @param defaults repository paths and the Python interpreter (from FLIGHT_CLUSTER_PYTHON).
 * @returns the resolved options, or `"help"` when `--help` was given.
 * @throws Error naming the offending option.
 */
export function parseBenchOptions(
  argv: readonly string[],
  defaults: { readonly python: string; readonly workDir: string; readonly outDir: string },
): ResolvedBenchOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      quick: { type: "boolean", default: false },
      passes: { type: "string" },
      warmup: { type: "string" },
      rounds: { type: "string" },
      "size-mib": { type: "string" },
      "batch-rows": { type: "string" },
      tables: { type: "string" },
      scenarios: { type: "string" },
      "cpu-prof": { type: "boolean", default: false },
      python: { type: "string" },
      out: { type: "string" },
      work: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  const quick = values.quick;
  const sizeMiB = parsePositiveInt(values["size-mib"], "--size-mib") ?? (quick ? 128 : 1024);
  const passes = values.passes === undefined ? (quick ? 3 : 5) : parseCount(values.passes, "--passes");
  if (passes === 0) throw new Error("--passes must be at least 1");
  return {
    quick,
    targetBytes: sizeMiB * 1024 * 1024,
    batchRows: parsePositiveInt(values["batch-rows"], "--batch-rows") ?? 65536,
    passes,
    warmup: values.warmup === undefined ? 1 : parseCount(values.warmup, "--warmup"),
    rounds: parsePositiveInt(values.rounds, "--rounds") ?? 1,
    tables: parseList(values.tables, TABLE_NAMES, "--tables"),
    scenarios: parseList(values.scenarios, SCENARIO_IDS, "--scenarios"),
    cpuProf: values["cpu-prof"],
    python: values.python ?? defaults.python,
    workDir: values.work ?? defaults.workDir,
    outDir: values.out ?? defaults.outDir,
    resultName: quick ? "doget-quick" : "doget",
  };
}

/** Short labels of the scenarios, for tables and charts. */
export const SCENARIO_LABELS: Readonly<Record<ScenarioId, string>> = {
  a: "(a) flight-cluster server -> client",
  a2: "(a') flight-cluster, pre-encoded frames",
  b: "(b) grpc-js pass-through, same bytes",
  c: "(c) pyarrow.flight server -> client",
};

/** What each table is. */
export const TABLE_DESCRIPTIONS: Readonly<Record<TableName, string>> = {
  fixed: "4 x int64, no nulls",
  strings: "1 int64 + 2 utf8 (20-60 byte strings), no nulls",
};
