/**
 * Reference (b), server process: a grpc-js server that streams a table's pre-encoded FlightData
 * messages (encoded once at start-up by our encoder) for every DoGet, with backpressure.
 *
 * Usage: node passthrough-server.js --file TABLE.arrow [--max-message-bytes N] [--cpu-profile FILE]
 * Prints a ready event with `port`, `messages` and `wireBytes`; stops when stdin closes.
 */
import { parseArgs } from "node:util";
import { Server, ServerCredentials, type ServerWritableStream } from "@grpc/grpc-js";
import { emitEvent, failProcess, processUsage, stdinClosed } from "./bench-events.js";
import { bindServer } from "./bind-server.js";
import { parsePositiveInt } from "./cli-args.js";
import { startCpuProfile } from "./cpu-profiler.js";
import { passthroughService } from "./passthrough-service.js";
import { writeMessages } from "./stream-writer.js";
import { loadTableFile } from "./table-file.js";
import { encodeTableStream } from "./table-frames.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { file: { type: "string" }, "max-message-bytes": { type: "string" }, "cpu-profile": { type: "string" } },
  });
  if (values.file === undefined) failProcess("passthrough-server: --file is required");
  const maxMessageBytes = parsePositiveInt(values["max-message-bytes"], "--max-message-bytes");
  const table = loadTableFile(values.file);
  const stream = encodeTableStream(table, maxMessageBytes);

  const server = new Server();
  server.addService(passthroughService, {
    DoGet: (call: ServerWritableStream<Buffer, Buffer>) => {
      void writeMessages(call, stream.messages);
    },
  });
  const port = await bindServer(server, ServerCredentials.createInsecure());
  const profiling = await startCpuProfile(values["cpu-profile"]);
  emitEvent({
    event: "ready",
    port,
    rows: table.numRows,
    messages: stream.messages.length,
    wireBytes: stream.wireBytes,
    ...processUsage(),
  });
  await stdinClosed();
  await profiling.stop();
  server.forceShutdown();
  emitEvent({ event: "exit", ...processUsage() });
}

main().catch((error: unknown) => failProcess("passthrough-server failed", error));
