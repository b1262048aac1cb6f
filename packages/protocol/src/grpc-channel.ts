/**
 * The client half of the grpc-js adapter: a channel to one server and the three call
 * shapes Flight uses (unary, server streaming, bidi), as byte messages, header records,
 * FlightErrors and promises. Channel options set the receive/send limits and the HTTP/2
 * flow-control window on every channel.
 */
import * as grpc from "@grpc/grpc-js";
import type { IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import { createFlightError, type FlightError, StatusCode } from "./flight-error.js";
import { installFramedSend } from "./grpc-framed-send.js";
import { cancelledError, DrainWaiter, MessageQueue } from "./grpc-message-queue.js";
import { installReceiveDecoder } from "./grpc-receive-decoder.js";
import { type FlightMethod, flightMethodPath, passDeserialize, passSerialize } from "./grpc-service.js";
import {
  flightErrorFromAbort,
  flightErrorFromGrpc,
  flightErrorFromStatus,
  fromMetadata,
  toMetadata,
} from "./grpc-status.js";
import { installWindowTuner, MAX_WINDOW_OPTION } from "./grpc-window-tuner.js";
import { consoleLogger } from "./logger.js";
import { type ClientTlsOptions, pemToBuffer } from "./tls-options.js";

/** How to reach a server. */
export type ChannelTarget =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "tls"; readonly host: string; readonly port: number; readonly tls: ClientTlsOptions }
  | { readonly kind: "unix"; readonly path: string };

/** Transport settings of a client channel. */
export interface GrpcChannelSettings {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  /** HTTP/2 flow-control window in bytes, at first (`grpc-node.flow_control_window`). */
  readonly flowControlWindowBytes: number;
  /** Largest window the bandwidth-delay tuner may grow to (grpc-window-tuner.ts); at most the first window: fixed. */
  readonly maxFlowControlWindowBytes: number;
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
  /** Cancel the call (CANCELLED on both sides); later reads reject with CANCELLED at once. */
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
      [MAX_WINDOW_OPTION]: settings.maxFlowControlWindowBytes,
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
    installFramedSend(passSerialize, consoleLogger.warn ?? consoleLogger.error);
    installReceiveDecoder(consoleLogger.warn ?? consoleLogger.error);
    installWindowTuner(consoleLogger.warn ?? consoleLogger.error);
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
    // Cancelling locally (abort, the reader stopped, the channel closed) fails reads at once
    // and drops what is queued; a failure the transport reports comes after the messages before it.
    const cancel = (error: FlightError) => {
      queue.fail(error);
      call.cancel();
    };
    const handle = { cancel: () => cancel(cancelledError()) };
    const onAbort = () => {
      if (signal !== undefined) cancel(flightErrorFromAbort(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    call.on("metadata", (md: grpc.Metadata) => {
      headers = fromMetadata(md);
      setup.onHeaders?.(headers);
      for (const w of headerWaiters.splice(0)) w(headers);
    });
    this.#calls.add(handle);
    call.on("status", (status: grpc.StatusObject) => {
      this.#calls.delete(handle);
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
      cancel(setupError);
    } else if (signal?.aborted) {
      cancel(flightErrorFromAbort(signal));
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
      cancel: handle.cancel,
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
