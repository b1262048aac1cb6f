/**
 * The server half of the grpc-js adapter, and the Flight method table (the client half is
 * grpc-channel.ts; statuses and metadata are grpc-status.ts).
 *
 * Everything above this file sees plain byte messages, header records,
 * FlightErrors and promises; nothing above it imports grpc-js.
 *
 * Serialization: every method of `arrow.flight.protocol.FlightService` is registered
 * with pass-through (de)serializers, so the layer above encodes and decodes with the
 * codecs it chooses: protobuf-es for ordinary messages, the zero-copy wire codec
 * (`encodeFlightData`/`decodeFlightData`) for FlightData, and pre-encoded FlightData
 * buffers written as they are. Decoding above the transport (not inside a grpc-js
 * deserializer) is what lets malformed requests fail with INVALID_ARGUMENT naming
 * the field instead of grpc-js's generic INTERNAL "Error deserializing request".
 *
 * What the deserializer receives (grpc-js 1.14.7, verified in `stream-decoder.js`,
 * `server-interceptors.js` and `compression-filter.js`): each gRPC message is
 * reassembled by `Buffer.concat([flag, length, ...frames], length + 5)` into a fresh
 * allocation (from Node's 8-aligned pool below 4 KiB, else its own ArrayBuffer at
 * offset 0), and the deserializer gets `subarray(5)` of it. So the message starts at
 * an address that is 5 mod 8 and a field at message offset `k` is 8-aligned when
 * `k % 8 === 3`: the wire codec's padding rule. Every Flight RPC is registered as
 * bidi on the server so that one code path serves all ten (the wire format does not
 * distinguish unary from streaming).
 */

import * as grpc from "@grpc/grpc-js";
import type { IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import { createFlightError, type FlightError, StatusCode } from "./flight-error.js";
import { installFramedSend } from "./grpc-framed-send.js";
import { cancelledError, DrainWaiter, MessageQueue } from "./grpc-message-queue.js";
import { installReceiveDecoder } from "./grpc-receive-decoder.js";
import { applyServerReceiveWindow, type WindowWarning } from "./grpc-server-window.js";
import { fromMetadata, toGrpcStatus, toMetadata } from "./grpc-status.js";
import { pemToBuffer, type ServerTlsOptions } from "./tls-options.js";

/** Fully qualified gRPC service name of Flight. */
export const FLIGHT_SERVICE_NAME = "arrow.flight.protocol.FlightService";

/** The ten Flight RPCs (pyarrow's `FlightMethod`). */
export const FlightMethod = {
  Handshake: "Handshake",
  ListFlights: "ListFlights",
  GetFlightInfo: "GetFlightInfo",
  PollFlightInfo: "PollFlightInfo",
  GetSchema: "GetSchema",
  DoGet: "DoGet",
  DoPut: "DoPut",
  DoExchange: "DoExchange",
  DoAction: "DoAction",
  ListActions: "ListActions",
} as const;
/** The name of a Flight RPC. */
export type FlightMethod = (typeof FlightMethod)[keyof typeof FlightMethod];

/** The HTTP/2 path of a Flight RPC: `/arrow.flight.protocol.FlightService/<Rpc>`. */
export function flightMethodPath(method: FlightMethod): string {
  return `/${FLIGHT_SERVICE_NAME}/${method}`;
}

/** grpc-js serializer of already-encoded messages: the bytes as a Buffer view (no copy). */
export const passSerialize = (value: Uint8Array): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
/** A plain Uint8Array view (no copy): decoded `bytes` fields then compare equal to user-made arrays. */
export const passDeserialize = (bytes: Buffer): Uint8Array =>
  new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

// ---- Server ---------------------------------------------------------------------------------------

/** One incoming call, as the server layer sees it. */
export interface ServerCallAdapter {
  readonly method: FlightMethod;
  /** Request headers (lower-case names). */
  readonly headers: IncomingHeaders;
  /** `address:port` of the client. */
  readonly peer: string;
  /** The client's deadline, if it set one. */
  readonly deadline: Date | undefined;
  /** The verified client certificate's subject (mTLS), if any. */
  readonly peerCertificateSubject: string | undefined;
  /** True once the client cancelled, the deadline passed or the connection dropped. */
  readonly cancelled: boolean;
  /** Next request message, or undefined after the client half-closed. Rejects with CANCELLED when cancelled. */
  read(): Promise<Uint8Array | undefined>;
  /**
   * Queue one response message; false means: await `drained()` before writing more.
   * `onWritten` runs after HTTP/2 reports the message written (not if the call failed or was cancelled first).
   */
  write(message: Uint8Array, onWritten?: () => void): boolean;
  /** Resolves when the transport accepts more; rejects with CANCELLED if the call ended first. */
  drained(): Promise<void>;
  /** Send response headers now (once; later calls are ignored). */
  sendHeaders(headers: OutgoingHeaders): void;
  /** Finish with OK and trailers, after queued messages are flushed. */
  end(trailers?: OutgoingHeaders): void;
  /** Finish with an error status. */
  fail(error: FlightError, trailers?: OutgoingHeaders): void;
  /** Runs `listener` once when the call is cancelled (immediately if it already is). */
  onCancel(listener: () => void): void;
}

type BidiStream = grpc.ServerDuplexStream<Uint8Array, Uint8Array>;

class GrpcServerCall implements ServerCallAdapter {
  readonly method: FlightMethod;
  readonly headers: IncomingHeaders;
  readonly peer: string;
  readonly deadline: Date | undefined;
  readonly peerCertificateSubject: string | undefined;
  readonly #stream: BidiStream;
  readonly #queue: MessageQueue;
  readonly #drain: DrainWaiter;
  readonly #cancelListeners: Array<() => void> = [];
  #cancelled = false;
  #headersSent = false;
  #finished = false;

  constructor(method: FlightMethod, stream: BidiStream) {
    this.method = method;
    this.#stream = stream;
    this.headers = fromMetadata(stream.metadata);
    this.peer = stream.getPeer();
    const deadline = stream.getDeadline();
    const ms = deadline instanceof Date ? deadline.getTime() : deadline;
    this.deadline = Number.isFinite(ms) ? new Date(ms) : undefined;
    this.peerCertificateSubject = certificateSubject(stream);
    this.#queue = new MessageQueue(stream, undefined);
    this.#drain = new DrainWaiter(stream);
    const onCancel = () => {
      if (this.#cancelled) return;
      this.#cancelled = true;
      this.#queue.fail(cancelledError());
      this.#drain.close(cancelledError);
      for (const listener of this.#cancelListeners.splice(0)) listener();
    };
    stream.on("cancelled", onCancel);
    stream.on("close", () => {
      if (!this.#finished) onCancel();
      else this.#drain.close(cancelledError);
    });
  }

  get cancelled(): boolean {
    return this.#cancelled || this.#stream.cancelled;
  }

  async read(): Promise<Uint8Array | undefined> {
    const message = await this.#queue.read();
    if (message !== undefined) return message;
    // Node's HTTP/2 ends the request stream the same way for a half-close and for a
    // client's RST_STREAM (cancel); grpc-js reports the cancel a few ticks later. Wait
    // for those ticks so that a cancelled upload never looks complete to a handler.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.cancelled) throw cancelledError();
    return undefined;
  }

  write(message: Uint8Array, onWritten?: () => void): boolean {
    if (!this.#headersSent) this.sendHeaders({});
    if (onWritten === undefined) return this.#stream.write(message);
    return this.#stream.write(message, (error: Error | null | undefined) => {
      if (error === undefined || error === null) onWritten();
    });
  }

  drained(): Promise<void> {
    return this.#drain.wait();
  }

  sendHeaders(headers: OutgoingHeaders): void {
    if (this.#headersSent || this.#finished) return;
    this.#headersSent = true;
    this.#stream.sendMetadata(toMetadata(headers));
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.#finished) return;
    if (!this.#headersSent) this.sendHeaders({});
    this.#finished = true;
    this.#stream.end(toMetadata(trailers));
  }

  fail(error: FlightError, trailers?: OutgoingHeaders): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stream.emit("error", toGrpcStatus(error, trailers));
  }

  onCancel(listener: () => void): void {
    if (this.#cancelled) listener();
    else this.#cancelListeners.push(listener);
  }
}

function certificateSubject(stream: BidiStream): string | undefined {
  const auth = stream.getAuthContext();
  const subject = auth?.sslPeerCertificate?.subject;
  if (subject === undefined) return undefined;
  return Object.entries(subject)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
    .join(",");
}

/** Transport settings of a server. */
export interface GrpcServerSettings {
  /** Largest accepted request message in bytes; larger ones fail with RESOURCE_EXHAUSTED. */
  readonly maxReceiveMessageBytes: number;
  /** Largest response message in bytes. */
  readonly maxSendMessageBytes: number;
  /** Extra grpc-js server options (numbers or strings), applied last. */
  readonly grpcOptions: Readonly<Record<string, string | number>>;
  /**
   * HTTP/2 per-stream and connection receive window of every accepted session, bytes
   * (65,535..2^31-1; 65,535 leaves grpc-js untouched). See grpc-server-window.ts.
   */
  readonly receiveWindowBytes: number;
  /** Largest window a session grows to on a long link (grpc-window-tuner.ts); `receiveWindowBytes`: fixed. */
  readonly maxReceiveWindowBytes: number;
  /** Where a failure to apply the window is reported (once per server). */
  readonly warn: WindowWarning;
}

/** The transport half of a FlightServer. */
export interface GrpcServerHandle {
  /** Binds `host:port`, `[v6]:port` or `unix:///path`; resolves with the bound port (0 for unix sockets). */
  bind(address: string, tls: ServerTlsOptions | undefined): Promise<number>;
  /** Stops accepting connections, sends GOAWAY, resolves when every session closed. */
  tryShutdown(): Promise<void>;
  /** Closes everything now; in-flight calls fail with CANCELLED/UNAVAILABLE on the client. */
  forceShutdown(): void;
}

/** Creates the grpc-js server with the ten Flight RPCs, each handed to `dispatch` as a {@link ServerCallAdapter}. */
export function createGrpcServer(
  settings: GrpcServerSettings,
  dispatch: (call: ServerCallAdapter) => void,
): GrpcServerHandle {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": settings.maxReceiveMessageBytes,
    "grpc.max_send_message_length": settings.maxSendMessageBytes,
    ...settings.grpcOptions,
  });
  const receiveWindow = applyServerReceiveWindow(
    server,
    settings.receiveWindowBytes,
    settings.warn,
    settings.maxReceiveWindowBytes,
  );
  installFramedSend(passSerialize, settings.warn);
  installReceiveDecoder(settings.warn);
  for (const method of Object.values(FlightMethod)) {
    const handler: grpc.handleBidiStreamingCall<Uint8Array, Uint8Array> = (stream) => {
      dispatch(new GrpcServerCall(method, stream));
    };
    server.register(flightMethodPath(method), handler, passSerialize, passDeserialize, "bidi");
  }
  return {
    bind(address, tls) {
      const creds =
        tls === undefined
          ? grpc.ServerCredentials.createInsecure()
          : grpc.ServerCredentials.createSsl(
              tls.clientCa === undefined ? null : pemToBuffer(tls.clientCa),
              tls.certificates.map((pair) => ({
                cert_chain: pemToBuffer(pair.certChain),
                private_key: pemToBuffer(pair.privateKey),
              })),
              tls.verifyClient ?? tls.clientCa !== undefined,
            );
      return new Promise((resolve, reject) => {
        server.bindAsync(address, creds, (error, port) => {
          if (error) {
            reject(
              createFlightError(StatusCode.UNAVAILABLE, `cannot listen on ${address}: ${error.message}`, {
                cause: error,
              }),
            );
          } else {
            receiveWindow.afterBind();
            resolve(port);
          }
        });
      });
    },
    tryShutdown() {
      return new Promise((resolve) => server.tryShutdown(() => resolve()));
    },
    forceShutdown() {
      server.forceShutdown();
    },
  };
}
