/** Writing a sequence of messages to a grpc-js server stream with backpressure. */
import type { ServerWritableStream } from "@grpc/grpc-js";

/**
 * Writes every message to `call`, waiting for `drain` whenever `write` returns false, then ends
 * the call. Returns early, without ending, if the client cancels.
 *
 * @returns true when all messages were written, false when the call was cancelled or failed.
 */
export async function writeMessages(
  call: ServerWritableStream<Buffer, Buffer>,
  messages: Iterable<Buffer>,
): Promise<boolean> {
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  call.once("cancelled", stop);
  call.once("error", stop);
  try {
    for (const message of messages) {
      if (stopped) return false;
      if (!call.write(message)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            call.off("drain", done);
            call.off("cancelled", done);
            call.off("close", done);
            resolve();
          };
          call.on("drain", done);
          call.on("cancelled", done);
          call.on("close", done);
        });
      }
    }
    if (stopped) return false;
    call.end();
    return true;
  } finally {
    call.off("cancelled", stop);
    call.off("error", stop);
  }
}
