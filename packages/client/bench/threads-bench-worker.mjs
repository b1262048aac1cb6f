// A worker thread of threads-bench.ts: its own FlightClient (own HTTP/2 channel) per
// location, DoGets of the endpoints it is given, `concurrency` at once. Mode "relay" posts
// every FlightData frame (header + body, buffer transferred) to the main thread, which
// decodes it; mode "consume" decodes here and posts only row and byte counts.
import { parentPort, workerData } from "node:worker_threads";
import { connect, FlightDataDecoder } from "@flight-cluster/protocol";

const { mode, concurrency, windowBytes } = workerData;
const clients = new Map();
function clientFor(uri) {
  let c = clients.get(uri);
  if (c === undefined) {
    c = connect(uri, { flowControlWindowBytes: windowBytes });
    clients.set(uri, c);
  }
  return c;
}

/** The frame's message buffer, transferable (copied only when it shares its ArrayBuffer). */
function owned(frame) {
  const buffer = frame.header.buffer;
  const whole = frame.body.byteLength === 0 || frame.body.buffer === buffer;
  // Transfer only a buffer that holds this message alone (protobuf framing adds a few bytes).
  if (whole && buffer.byteLength <= frame.header.byteLength + frame.body.byteLength + 256) {
    return {
      buffer,
      header: [frame.header.byteOffset, frame.header.byteLength],
      body: [frame.body.byteOffset, frame.body.byteLength],
    };
  }
  const copy = new Uint8Array(frame.header.byteLength + frame.body.byteLength);
  copy.set(frame.header, 0);
  copy.set(frame.body, frame.header.byteLength);
  return {
    buffer: copy.buffer,
    header: [0, frame.header.byteLength],
    body: [frame.header.byteLength, frame.body.byteLength],
  };
}

async function readOne(task) {
  const reader = clientFor(task.uri).doGet(task.ticket);
  const decoder = mode === "consume" ? new FlightDataDecoder() : undefined;
  let rows = 0;
  let bytes = 0;
  for (;;) {
    const frame = await reader.readFrame();
    if (frame === undefined) break;
    if (frame.header.byteLength === 0) continue;
    bytes += frame.header.byteLength + frame.body.byteLength;
    if (decoder !== undefined) {
      const d = decoder.decode(frame);
      if (d.kind === "batch") rows += d.batch.numRows;
    } else {
      const m = owned(frame);
      parentPort.postMessage({ kind: "frame", endpoint: task.endpoint, ...m }, [m.buffer]);
    }
  }
  parentPort.postMessage({ kind: "done", endpoint: task.endpoint, rows, bytes });
}

parentPort.on("message", async (message) => {
  if (message.kind === "close") {
    for (const c of clients.values()) c.close();
    parentPort.close();
    return;
  }
  const tasks = [...message.tasks];
  const run = async () => {
    for (;;) {
      const task = tasks.shift();
      if (task === undefined) return;
      await readOne(task);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, run));
  parentPort.postMessage({ kind: "finished" });
});
