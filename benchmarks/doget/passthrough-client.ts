/**
 * Reference (b), client process: a grpc-js client that calls DoGet on the pass-through server
 * and consumes the messages without decoding them (counting messages and bytes), with the
 * same channel options as our client.
 *
 * Usage: node passthrough-client.js --port N --expect-rows N --expect-messages N
 *        --expect-wire-bytes N [--passes 5] [--warmup 1] [--cpu-profile FILE]
 * A pass "delivers the table's rows" when it received exactly the expected messages and bytes.
 */
import { parseArgs } from "node:util";
import { Client, credentials } from "@grpc/grpc-js";
import { emitEvent, failProcess } from "./bench-events.js";
import { parseCount } from "./cli-args.js";
import { BENCH_CHANNEL_OPTIONS, DO_GET_PATH } from "./passthrough-service.js";
import type { PassCount } from "./timed-passes.js";
import { runTimedPasses } from "./timed-passes.js";

const identity = (bytes: Buffer): Buffer => bytes;

/** One DoGet; resolves with the counts once the stream ends. */
function onePass(client: Client, expectRows: number, expectMessages: number, expectBytes: number): Promise<PassCount> {
  return new Promise((resolve, reject) => {
    let messages = 0;
    let bytes = 0;
    const call = client.makeServerStreamRequest(DO_GET_PATH, identity, identity, Buffer.alloc(0));
    call.on("data", (message: Buffer) => {
      messages++;
      bytes += message.length;
    });
    call.on("error", reject);
    call.on("end", () => {
      if (messages !== expectMessages || bytes !== expectBytes) {
        reject(
          new Error(`received ${messages} messages / ${bytes} bytes, expected ${expectMessages} / ${expectBytes}`),
        );
      } else {
        resolve({ rows: expectRows, batches: messages });
      }
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "expect-rows": { type: "string" },
      "expect-messages": { type: "string" },
      "expect-wire-bytes": { type: "string" },
      passes: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      "cpu-profile": { type: "string" },
    },
  });
  const port = parseCount(values.port, "--port");
  const expectRows = parseCount(values["expect-rows"], "--expect-rows");
  const expectMessages = parseCount(values["expect-messages"], "--expect-messages");
  const expectBytes = parseCount(values["expect-wire-bytes"], "--expect-wire-bytes");
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), BENCH_CHANNEL_OPTIONS);
  const result = await runTimedPasses({
    warmup: parseCount(values.warmup, "--warmup"),
    passes: parseCount(values.passes, "--passes"),
    expectRows,
    cpuProfile: values["cpu-profile"],
    onePass: () => onePass(client, expectRows, expectMessages, expectBytes),
  });
  client.close();
  emitEvent(result);
}

main().catch((error: unknown) => failProcess("passthrough-client failed", error));
