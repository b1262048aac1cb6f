/**
 * Scenarios (a) and (a'), server process: our FlightServer serving the table for every ticket.
 *
 * Usage: node flight-bench-server.js --file TABLE.arrow --mode batches|frames [--cpu-profile FILE]
 *   batches (a):  DoGet returns a RecordBatchStream of the table's record batches; the server
 *                 encodes them (slicing to its message limit) on every call.
 *   frames  (a'): the table is encoded once at start-up into FlightData messages, and DoGet
 *                 returns them as an EncodedFlightDataStream (the cluster worker's path).
 * Prints a ready event with `port` (and, for frames, `messages` and `wireBytes`); stops when stdin closes.
 * With --cpu-profile, profiles from the ready event to the stop (serving only, not loading).
 */
import { parseArgs } from "node:util";
import { EncodedFlightDataStream, FlightServer, RecordBatchStream } from "@flight-cluster/protocol";
import { emitEvent, failProcess, processUsage, stdinClosed } from "./bench-events.js";
import { startCpuProfile } from "./cpu-profiler.js";
import { loadTableFile } from "./table-file.js";
import { encodeTableStream } from "./table-frames.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: "string" }, mode: { type: "string" }, "cpu-profile": { type: "string" } },
  });
  if (values.file === undefined) failProcess("flight-bench-server: --file is required");
  if (values.mode !== "batches" && values.mode !== "frames") {
    failProcess(`flight-bench-server: --mode must be "batches" or "frames", got "${values.mode ?? ""}"`);
  }
  const table = loadTableFile(values.file);
  const facts: Record<string, number> = { rows: table.numRows, batches: table.batches.length };
  let doGet: () => RecordBatchStream | EncodedFlightDataStream;
  if (values.mode === "batches") {
    doGet = () => new RecordBatchStream(table);
  } else {
    const stream = encodeTableStream(table);
    facts["messages"] = stream.messages.length;
    facts["wireBytes"] = stream.wireBytes;
    doGet = () => new EncodedFlightDataStream(stream.messages);
  }
  const server = new FlightServer({ doGet });
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  const profiling = await startCpuProfile(values["cpu-profile"]);
  emitEvent({ event: "ready", port, ...facts, ...processUsage() });
  await stdinClosed();
  await profiling.stop();
  await server.close();
  emitEvent({ event: "exit", ...processUsage() });
}

main().catch((error: unknown) => failProcess("flight-bench-server failed", error));
