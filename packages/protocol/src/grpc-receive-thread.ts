/**
 * The worker-thread side of {@link ReceiveThreadPool} (grpc-thread-pool.ts): runs server-
 * streaming calls on its own grpc-js channels and posts each response message to the main
 * thread, which decodes it. Loaded as a Worker entry (the compiled dist/grpc-receive-thread.js).
 *
 * Protocol (structured-clone messages on the worker's port), per call `id`:
 * - in: `open` {target, settings, method, request, headers, deadlineMs}; `credit` {n}: that
 *   many more messages may be posted; `cancel`.
 * - out: `headers` {headers}; `message` {buffer, offset, length} (the buffer transferred when
 *   the message owns it but for the gRPC prefix, a copy otherwise); then `end` or `error` {error} (the stream's last word), and
 *   `complete` {error, trailers} (the call's status, which may come before the last messages).
 *   Every call ends with both.
 */
import { parentPort } from "node:worker_threads";
import type { IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import { type FlightError, StatusCode } from "./flight-error.js";
import { type ChannelTarget, type ClientStreamAdapter, GrpcChannel, type GrpcChannelSettings } from "./grpc-channel.js";
import type { FlightMethod } from "./grpc-service.js";

/** A FlightError as it crosses the thread boundary. */
export interface ThreadError {
  readonly code: number;
  readonly message: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Messages the main thread sends. */
export type ToThread =
  | {
      readonly type: "open";
      readonly id: number;
      readonly target: ChannelTarget;
      readonly settings: GrpcChannelSettings;
      readonly method: FlightMethod;
      readonly request: Uint8Array;
      readonly headers: OutgoingHeaders;
      readonly deadlineMs: number | undefined;
    }
  | { readonly type: "credit"; readonly id: number; readonly n: number }
  | { readonly type: "cancel"; readonly id: number };

/** Messages the thread sends back. */
export type FromThread =
  | { readonly type: "headers"; readonly id: number; readonly headers: IncomingHeaders }
  | {
      readonly type: "message";
      readonly id: number;
      /** The message is `buffer[offset, offset + length)`. */
      readonly buffer: ArrayBuffer;
      readonly offset: number;
      readonly length: number;
    }
  | { readonly type: "end"; readonly id: number }
  | { readonly type: "error"; readonly id: number; readonly error: ThreadError }
  | {
      readonly type: "complete";
      readonly id: number;
      readonly error: ThreadError | undefined;
      readonly trailers: IncomingHeaders;
    };

/** A FlightError (or anything thrown) as plain data. */
export function toThreadError(error: unknown): ThreadError {
  const e = error as Partial<FlightError>;
  return {
    code: typeof e.code === "number" ? e.code : StatusCode.UNKNOWN,
    message: typeof e.rawMessage === "string" ? e.rawMessage : String((error as Error)?.message ?? error),
    metadata: (e.metadata as Record<string, unknown> | undefined) ?? {},
  };
}

interface Call {
  readonly adapter: ClientStreamAdapter;
  credits: number;
  wake: (() => void) | undefined;
  cancelled: boolean;
}

const channels = new Map<string, GrpcChannel>();
const calls = new Map<number, Call>();

function channelFor(target: ChannelTarget, settings: GrpcChannelSettings): GrpcChannel {
  const key = JSON.stringify([target, settings]);
  let channel = channels.get(key);
  if (channel === undefined) {
    channel = new GrpcChannel(target, settings);
    channels.set(key, channel);
  }
  return channel;
}

function post(message: FromThread, transfer?: ArrayBuffer[]): void {
  parentPort?.postMessage(message, transfer ?? []);
}

/**
 * Bytes of a buffer outside the message that still let the buffer move with it: the 5-byte
 * gRPC prefix in front of a message the receive decoder allocated whole.
 */
const MOVABLE_SLACK_BYTES = 64;

/** A message ready to post: its own buffer (moved, offsets kept so alignment is too) or a copy of a shared one. */
function movable(data: Uint8Array): { buffer: ArrayBuffer; offset: number; length: number; transfer: ArrayBuffer[] } {
  const buffer = data.buffer;
  if (buffer instanceof ArrayBuffer && buffer.byteLength - data.byteLength <= MOVABLE_SLACK_BYTES) {
    return { buffer, offset: data.byteOffset, length: data.byteLength, transfer: [buffer] };
  }
  const copy = data.slice();
  return {
    buffer: copy.buffer as ArrayBuffer,
    offset: 0,
    length: copy.byteLength,
    transfer: [copy.buffer as ArrayBuffer],
  };
}

async function pump(id: number, call: Call): Promise<void> {
  try {
    for (;;) {
      while (call.credits <= 0 && !call.cancelled) {
        await new Promise<void>((resolve) => {
          call.wake = resolve;
        });
      }
      if (call.cancelled) {
        post({ type: "end", id }); // the main thread already failed the read; this lets it forget the call
        return;
      }
      const message = await call.adapter.read();
      if (message === undefined) {
        post({ type: "end", id });
        return;
      }
      call.credits--;
      const { buffer, offset, length, transfer } = movable(message);
      post({ type: "message", id, buffer, offset, length }, transfer);
    }
  } catch (error) {
    post({ type: "error", id, error: toThreadError(error) });
  } finally {
    calls.delete(id);
  }
}

function open(m: Extract<ToThread, { type: "open" }>): void {
  const channel = channelFor(m.target, m.settings);
  const adapter = channel.serverStream(m.method, m.request, {
    headers: m.headers,
    deadline: m.deadlineMs === undefined ? undefined : new Date(m.deadlineMs),
    onHeaders: (headers) => post({ type: "headers", id: m.id, headers }),
    onComplete: (error, trailers) =>
      post({ type: "complete", id: m.id, error: error === undefined ? undefined : toThreadError(error), trailers }),
  });
  const call: Call = { adapter, credits: 0, wake: undefined, cancelled: false };
  calls.set(m.id, call);
  void pump(m.id, call);
}

parentPort?.on("message", (m: ToThread) => {
  if (m.type === "open") {
    open(m);
    return;
  }
  const call = calls.get(m.id);
  if (call === undefined) return;
  if (m.type === "credit") {
    call.credits += m.n;
  } else {
    call.cancelled = true;
    call.adapter.cancel();
  }
  const wake = call.wake;
  call.wake = undefined;
  wake?.();
});
