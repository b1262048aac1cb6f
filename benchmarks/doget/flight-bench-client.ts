/**
 * Scenarios (a) and (a'), client process: our FlightClient reading the whole table with DoGet,
 * decoding every message into a RecordBatch and reading one value of its first and last column.
 *
 * Usage: node flight-bench-client.js --port N --expect-rows N [--passes 5] [--warmup 1] [--cpu-profile FILE]
 * The client uses its default channel settings (16 MiB flow-control window).
 */
import { parseArgs } from "node:util";
import { connect, type FlightClient } from "@flight-cluster/protocol";
import { emitEvent, failProcess } from "./bench-events.js";
import { parseCount } from "./cli-args.js";
import type { PassCount } from "./timed-passes.js";
import { runTimedPasses } from "./timed-passes.js";

/** Keeps the touched values observable so the reads cannot be optimized away. */
let sink: unknown;

async function onePass(client: FlightClient): Promise<PassCount> {
  let rows = 0;
  let batches = 0;
  for await (const batch of client.doGet("table")) {
    if (batch.numRows > 0) {
      sink = batch.getChildAt(0)?.get(0);
      sink = batch.getChildAt(batch.numCols - 1)?.get(batch.numRows - 1) ?? sink;
    }
    rows += batch.numRows;
    batches++;
  }
  return { rows, batches };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "expect-rows": { type: "string" },
      passes: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      "cpu-profile": { type: "string" },
    },
  });
  const client = connect(`grpc://127.0.0.1:${parseCount(values.port, "--port")}`);
  const result = await runTimedPasses({
    warmup: parseCount(values.warmup, "--warmup"),
    passes: parseCount(values.passes, "--passes"),
    expectRows: parseCount(values["expect-rows"], "--expect-rows"),
    cpuProfile: values["cpu-profile"],
    onePass: () => onePass(client),
  });
  client.close();
  emitEvent(result);
  if (sink === Symbol.for("never")) process.stderr.write("unreachable\n");
}

main().catch((error: unknown) => failProcess("flight-bench-client failed", error));
