/**
 * DoPut benchmark server (child process): our FlightServer on 127.0.0.1, port 0, with a DoPut
 * handler that takes the worker's path (raw frames, no Arrow decoding) and counts body bytes.
 *
 * Usage: node put-server.js --window BYTES
 *
 * Prints `{"event":"ready","port":N}`; answers every DoPut with one PutResult (a PutAck JSON);
 * when stdin closes, drains, prints `{"event":"exit"}` and exits.
 */
import { FlightServer, silentLogger } from "@flight-cluster/protocol";
import { cpuSecondsSince, emit, type PutAck } from "./put-events.js";

function argValue(name: string): string {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? process.argv[index + 1] : undefined;
  if (value === undefined) throw new Error(`put-server: missing ${name}`);
  return value;
}

const receiveWindowBytes = Number(argValue("--window"));
const server = new FlightServer(
  {
    async doPut(_ctx, reader, writer) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      let bodyBytes = 0;
      let messages = 0;
      for (;;) {
        const frame = await reader.readFrame();
        if (frame === undefined) break;
        if (frame.header.byteLength > 0) messages += 1;
        bodyBytes += frame.body.byteLength;
      }
      const ack: PutAck = {
        bodyBytes,
        messages,
        seconds: (performance.now() - start) / 1000,
        cpuSeconds: cpuSecondsSince(cpu),
      };
      await writer.write(new TextEncoder().encode(JSON.stringify(ack)));
    },
  },
  // The window is what this benchmark varies: keep it fixed (no growth on long links).
  {
    receiveWindowBytes,
    maxReceiveWindowBytes: receiveWindowBytes,
    logger: { ...silentLogger, warn: (m) => process.stderr.write(`${m}\n`) },
  },
);
const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
emit({ event: "ready", port });
process.stdin.resume();
process.stdin.on("end", () => {
  void server.drain(2_000).then(() => {
    emit({ event: "exit" });
    process.exit(0);
  });
});
