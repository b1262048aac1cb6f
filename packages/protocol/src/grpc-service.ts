/**
 * The one adapter over @grpc/grpc-js (with grpc-status.ts for statuses and metadata).
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

import type { Readable, Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import type { IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import { createFlightError, type FlightError, StatusCode } from "./flight-error.js";
import {
  flightErrorFromAbort,
  flightErrorFromGrpc,
  flightErrorFromStatus,
  fromMetadata,
  toGrpcStatus,
  toMetadata,
} from "./grpc-status.js";
import { type ClientTlsOptions, pemToBuffer, type ServerTlsOptions } from "./tls-options.js";

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

const passSerialize = (value: Uint8Array): Buffer =>
  Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
/** A plain Uint8Array view (no copy): decoded `bytes` fields then compare equal to user-made arrays. */
const passDeserialize = (bytes: Buffer): Uint8Array => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function cancelledError(): FlightError {
  return createFlightError(StatusCode.CANCELLED, "call cancelled");
}

/**
 * Pulls messages from an object-mode Readable one at a time with `read()`, so the
 * stream's own high-water mark (16 messages) is the only buffer and HTTP/2 flow
 * control pushes back on the sender when the consumer is slow.
 */
class MessageQueue {
  readonly #stream: Readable;
  #ended = false;
  #failure: FlightError | undefined;
  #waiter: { resolve(value: Uint8Array | undefined): void; reject(error: FlightError): void } | undefined;

  constructor(stream: Readable, mapError: ((error: unknown) => FlightError) | undefined) {
    this.#stream = stream;
    stream.on("readable", () => this.#wake());
    stream.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    stream.on("close", () => {
      if (!this.#ended) this.#failure ??= cancelledError();
      this.#wake();
    });
    if (mapError !== undefined) {
      stream.on("error", (error: unknown) => {
        this.#failure ??= mapError(error);
        this.#wake();
      });
    }
  }

  fail(error: FlightError): void {
    this.#failure ??= error;
    this.#wake();
  }

  read(): Promise<Uint8Array | undefined> {
    const chunk: Uint8Array | null = this.#failure === undefined ? this.#stream.read() : null;
    if (chunk !== null) return Promise.resolve(chunk);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    if (this.#failure !== undefined) {
      this.#waiter = undefined;
      waiter.reject(this.#failure);
      return;
    }
    const chunk: Uint8Array | null = this.#stream.read();
    if (chunk !== null) {
      this.#waiter = undefined;
      waiter.resolve(chunk);
    } else if (this.#ended) {
      this.#waiter = undefined;
      waiter.resolve(undefined);
    }
  }
}

/** Waits for 'drain' on a Writable; rejects once the call is over. */
class DrainWaiter {
  readonly #stream: Writable;
  #closed: (() => FlightError) | undefined;
  readonly #waiters: Array<{ resolve(): void; reject(error: FlightError): void }> = [];

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on("drain", () => {
      for (const w of this.#waiters.splice(0)) w.resolve();
    });
  }

  close(reason: () => FlightError): void {
    this.#closed ??= reason;
    const error = this.#closed();
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  wait(): Promise<void> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed());
    if (!this.#stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}

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
  /** Queue one response message; false means: await `drained()` before writing more. */
  write(message: Uint8Array): boolean;
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

  write(message: Uint8Array): boolean {
    if (!this.#headersSent) this.sendHeaders({});
    return this.#stream.write(message);
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
          } else resolve(port);
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

// ---- Client ---------------------------------------------------------------------------------------

/** How to reach a server. */
export type ChannelTarget =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "tls"; readonly host: string; readonly port: number; readonly tls: ClientTlsOptions }
  | { readonly kind: "unix"; readonly path: string };

/** Transport settings of a client channel. */
export interface GrpcChannelSettings {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** HTTP/2 flow-control window in bytes (`grpc-node.flow_control_window`). */
  readonly flowControlWindowBytes: number;
  /** Extra grpc-js channel options, applied last. */
  readonly grpcOptions: Readonly<Record<string, string | number>>;
}

/** What the layer above supplies for one client call. */
export interface ClientCallSetup {
  readonly headers: OutgoingHeaders;
  readonly deadline?: Date | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Response headers arrived. */
  onHeaders?(headers: IncomingHeaders): void;
  /** The call ended: `error` undefined means OK. Runs once. */
  onComplete?(error: FlightError | undefined, trailers: IncomingHeaders): void;
}

/** A streaming client call. */
export interface ClientStreamAdapter {
  /** Next response message; undefined at a clean end. Rejects with the call's FlightError. */
  read(): Promise<Uint8Array | undefined>;
  /** Queue one request message (bidi only); false means: await `drained()`. */
  write(message: Uint8Array): boolean;
  /** Resolves when more can be written; rejects with the call's error once it ended. */
  drained(): Promise<void>;
  /** Half-close the request side (bidi only). */
  halfClose(): void;
  /** Cancel the call (CANCELLED on both sides). */
  cancel(): void;
  /** Response headers (resolves empty if the call ends without any). */
  headers(): Promise<IncomingHeaders>;
}

function closedError(): FlightError {
  return createFlightError(StatusCode.UNAVAILABLE, "the client is closed");
}

/** A stream call that failed before it started. */
function failedStream(error: FlightError): ClientStreamAdapter {
  return {
    read: () => Promise.reject(error),
    write: () => true,
    drained: () => Promise.reject(error),
    halfClose() {},
    cancel() {},
    headers: () => Promise.resolve({}),
  };
}

function targetString(target: ChannelTarget): string {
  if (target.kind === "unix") return `unix://${target.path}`;
  const host = target.host.includes(":") && !target.host.startsWith("[") ? `[${target.host}]` : target.host;
  return `${host}:${target.port}`;
}

/** The transport half of a FlightClient. */
export class GrpcChannel {
  readonly #client: grpc.Client;
  readonly #calls = new Set<{ cancel(): void }>();
  #closed = false;

  constructor(target: ChannelTarget, settings: GrpcChannelSettings) {
    const options: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": settings.maxReceiveMessageBytes,
      "grpc.max_send_message_length": settings.maxSendMessageBytes,
      "grpc-node.flow_control_window": settings.flowControlWindowBytes,
    };
    let creds: grpc.ChannelCredentials;
    if (target.kind === "tls") {
      const tls = target.tls;
      creds = grpc.credentials.createSsl(
        tls.rootCerts === undefined ? null : pemToBuffer(tls.rootCerts),
        tls.privateKey === undefined ? null : pemToBuffer(tls.privateKey),
        tls.certChain === undefined ? null : pemToBuffer(tls.certChain),
      );
      if (tls.overrideHostname !== undefined) {
        options["grpc.ssl_target_name_override"] = tls.overrideHostname;
        options["grpc.default_authority"] = tls.overrideHostname;
      }
    } else {
      creds = grpc.credentials.createInsecure();
    }
    Object.assign(options, settings.grpcOptions);
    this.#client = new grpc.Client(targetString(target), creds, options);
  }

  /** One request, one response. Rejects with a FlightError. */
  unary(method: FlightMethod, request: Uint8Array, setup: ClientCallSetup): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const signal = setup.signal;
      if (this.#closed) {
        reject(closedError());
        return;
      }
      if (signal?.aborted) {
        reject(flightErrorFromAbort(signal));
        return;
      }
      let metadata: grpc.Metadata;
      try {
        metadata = toMetadata(setup.headers);
      } catch (error) {
        reject(flightErrorFromGrpc(error));
        return;
      }
      const onAbort = () => call.cancel();
      const call = this.#client.makeUnaryRequest<Uint8Array, Uint8Array>(
        flightMethodPath(method),
        passSerialize,
        passDeserialize,
        request,
        metadata,
        setup.deadline === undefined ? {} : { deadline: setup.deadline },
        (error, value) => {
          signal?.removeEventListener("abort", onAbort);
          if (error) reject(signal?.aborted ? flightErrorFromAbort(signal) : flightErrorFromGrpc(error));
          else if (value === undefined) reject(createFlightError(StatusCode.INTERNAL, "empty response"));
          else resolve(value);
        },
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#calls.add(call);
      call.on("metadata", (md: grpc.Metadata) => setup.onHeaders?.(fromMetadata(md)));
      call.on("status", (status: grpc.StatusObject) => {
        this.#calls.delete(call);
        const error =
          status.code === grpc.status.OK
            ? undefined
            : signal?.aborted
              ? flightErrorFromAbort(signal)
              : flightErrorFromStatus(status);
        setup.onComplete?.(error, fromMetadata(status.metadata));
      });
    });
  }

  /** One request, a stream of responses. */
  serverStream(method: FlightMethod, request: Uint8Array, setup: ClientCallSetup): ClientStreamAdapter {
    return this.#stream(method, setup, request);
  }

  /** Streams both ways. */
  bidi(method: FlightMethod, setup: ClientCallSetup): ClientStreamAdapter {
    return this.#stream(method, setup, undefined);
  }

  #stream(method: FlightMethod, setup: ClientCallSetup, request: Uint8Array | undefined): ClientStreamAdapter {
    if (this.#closed) return failedStream(closedError());
    const signal = setup.signal;
    let metadata: grpc.Metadata;
    let setupError: FlightError | undefined;
    try {
      metadata = toMetadata(setup.headers);
    } catch (error) {
      setupError = flightErrorFromGrpc(error);
      metadata = new grpc.Metadata();
    }
    const options: grpc.CallOptions = setup.deadline === undefined ? {} : { deadline: setup.deadline };
    const path = flightMethodPath(method);
    const call: grpc.ClientReadableStream<Uint8Array> | grpc.ClientDuplexStream<Uint8Array, Uint8Array> =
      request === undefined
        ? this.#client.makeBidiStreamRequest<Uint8Array, Uint8Array>(
            path,
            passSerialize,
            passDeserialize,
            metadata,
            options,
          )
        : this.#client.makeServerStreamRequest<Uint8Array, Uint8Array>(
            path,
            passSerialize,
            passDeserialize,
            request,
            metadata,
            options,
          );
    const mapError = (error: unknown): FlightError =>
      signal?.aborted ? flightErrorFromAbort(signal) : flightErrorFromGrpc(error);
    const queue = new MessageQueue(call, mapError);
    const writable = request === undefined ? (call as grpc.ClientDuplexStream<Uint8Array, Uint8Array>) : undefined;
    const drain = writable === undefined ? undefined : new DrainWaiter(writable);
    let headers: IncomingHeaders | undefined;
    const headerWaiters: Array<(h: IncomingHeaders) => void> = [];
    let callError: FlightError | undefined;
    const onAbort = () => call.cancel();
    signal?.addEventListener("abort", onAbort, { once: true });
    call.on("metadata", (md: grpc.Metadata) => {
      headers = fromMetadata(md);
      setup.onHeaders?.(headers);
      for (const w of headerWaiters.splice(0)) w(headers);
    });
    this.#calls.add(call);
    call.on("status", (status: grpc.StatusObject) => {
      this.#calls.delete(call);
      signal?.removeEventListener("abort", onAbort);
      callError =
        status.code === grpc.status.OK
          ? undefined
          : signal?.aborted
            ? flightErrorFromAbort(signal)
            : flightErrorFromStatus(status);
      headers ??= {};
      for (const w of headerWaiters.splice(0)) w(headers);
      drain?.close(() => callError ?? createFlightError(StatusCode.FAILED_PRECONDITION, "the call has already ended"));
      setup.onComplete?.(callError, fromMetadata(status.metadata));
    });
    if (setupError !== undefined) {
      queue.fail(setupError);
      call.cancel();
    } else if (signal?.aborted) {
      call.cancel();
    }
    return {
      read: () => queue.read(),
      write(message) {
        if (writable === undefined) throw createFlightError(StatusCode.INTERNAL, `${method} has no request stream`);
        return writable.write(message);
      },
      drained: () => drain?.wait() ?? Promise.resolve(),
      halfClose() {
        writable?.end();
      },
      cancel() {
        call.cancel();
      },
      headers() {
        if (headers !== undefined) return Promise.resolve(headers);
        return new Promise((resolve) => headerWaiters.push(resolve));
      },
    };
  }

  /** Resolves once connected; rejects with UNAVAILABLE at the deadline, CANCELLED on abort. */
  waitForReady(deadline: Date, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(flightErrorFromAbort(signal));
        return;
      }
      const onAbort = () => reject(flightErrorFromAbort(signal as AbortSignal));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#client.waitForReady(deadline, (error) => {
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(createFlightError(StatusCode.UNAVAILABLE, `not ready: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  /** Closes the channel; in-flight calls are cancelled (CANCELLED), later calls fail with UNAVAILABLE. */
  close(): void {
    this.#closed = true;
    for (const call of this.#calls) call.cancel();
    this.#calls.clear();
    this.#client.close();
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }
}
