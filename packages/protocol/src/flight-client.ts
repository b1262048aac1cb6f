/**
 * FlightClient: every Flight RPC from Node (pyarrow's `flight.connect` / `FlightClient`).
 *
 * Each call takes {@link CallOptions} (`headers`, `timeoutMs`, `signal`) and fails with
 * the FlightError subclass of its status (FlightUnavailableError when the server cannot
 * be reached, FlightTimedOutError past the deadline, FlightCancelledError on abort...).
 */
import type { Schema } from "apache-arrow";
import { type CallOptions, type IncomingHeaders, mergeHeaders, type OutgoingHeaders } from "./call-options.js";
import { extractBearerToken, formatBasicHeader } from "./client-auth.js";
import {
  Completion,
  type DoExchangeCall,
  type DoPutCall,
  FlightPutWriter,
  iterateMessages,
  serialReader,
} from "./client-call-streams.js";
import {
  type BasicAuthOptions,
  DEFAULT_FLOW_CONTROL_WINDOW_BYTES,
  DEFAULT_MAX_FLOW_CONTROL_WINDOW_BYTES,
  type FlightClientOptions,
  toTarget,
  type WaitForReadyOptions,
} from "./flight-client-options.js";
import { DEFAULT_MAX_MESSAGE_BYTES, encodeFlightData } from "./flight-data.js";
import {
  createFlightError,
  FlightInvalidArgumentError,
  FlightUnauthenticatedError,
  StatusCode,
} from "./flight-error.js";
import {
  type Action,
  type ActionType,
  type CancelStatus,
  type Criteria,
  type FlightDescriptor,
  type FlightEndpoint,
  type FlightInfo,
  type HandshakeMessage,
  type Location,
  type PollInfo,
  type PutResult,
  type Result,
  type Ticket,
  WellKnownAction,
} from "./flight-messages.js";
import * as codec from "./flight-messages-codec.js";
import { FlightStreamReader } from "./flight-stream-reader.js";
import { FlightStreamWriter } from "./flight-stream-writer.js";
import {
  type ChannelTarget,
  type ClientCallSetup,
  type ClientStreamAdapter,
  GrpcChannel,
  type GrpcChannelSettings,
} from "./grpc-channel.js";
import type { FlightMethod } from "./grpc-service.js";
import { type ReceiveThreadPool, sharedReceiveThreads } from "./grpc-thread-pool.js";
import type { ClientMiddleware } from "./middleware.js";
import { validateClientTls } from "./tls-options.js";

export type { BasicAuthOptions, FlightClientOptions, WaitForReadyOptions } from "./flight-client-options.js";

/**
 * Creates a client for `location` (`grpc://`, `grpc+tcp://`, `grpc+tls://`, `grpc+unix://`).
 * Connecting is lazy: the first call (or `waitForReady`) opens the connection.
 * @throws FlightInvalidArgumentError for a bad location or options.
 */
export function connect(location: Location | string, options: FlightClientOptions = {}): FlightClient {
  return new FlightClient(location, options);
}

/** A Flight client. */
export class FlightClient {
  /** The location this client talks to. */
  readonly location: Location;
  readonly #channel: GrpcChannel;
  readonly #target: ChannelTarget;
  readonly #settings: GrpcChannelSettings;
  readonly #threads: ReceiveThreadPool | undefined;
  /** Cancels of DoGets running in receive threads, for `close()`. */
  readonly #threadCalls = new Set<() => void>();
  #closed = false;
  readonly #options: FlightClientOptions;
  readonly #maxMessageBytes: number;
  #authHeader: OutgoingHeaders | undefined;

  /** Prefer {@link connect}. @throws FlightInvalidArgumentError for a bad location or options. */
  constructor(location: Location | string, options: FlightClientOptions = {}) {
    if (options.tls !== undefined) validateClientTls(options.tls);
    const target = toTarget(location, options.tls);
    this.location = { uri: typeof location === "string" ? location : location.uri };
    this.#options = options;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#target = target;
    this.#settings = {
      maxReceiveMessageBytes: options.maxReceiveMessageBytes ?? 64 * 1024 * 1024,
      maxSendMessageBytes: options.maxSendMessageBytes ?? 64 * 1024 * 1024,
      flowControlWindowBytes: options.flowControlWindowBytes ?? DEFAULT_FLOW_CONTROL_WINDOW_BYTES,
      maxFlowControlWindowBytes: options.maxFlowControlWindowBytes ?? DEFAULT_MAX_FLOW_CONTROL_WINDOW_BYTES,
      grpcOptions: options.grpcOptions ?? {},
    };
    this.#channel = new GrpcChannel(target, this.#settings);
    const threads = options.receiveThreads ?? 0;
    if (!Number.isInteger(threads) || threads < 0 || threads > 64) {
      throw new FlightInvalidArgumentError(`receiveThreads must be an integer in 0..64, got ${threads}`);
    }
    this.#threads = threads === 0 ? undefined : sharedReceiveThreads(threads);
  }

  #setup(method: FlightMethod, options: CallOptions | undefined, completion?: Completion): ClientCallSetup {
    const middleware: ClientMiddleware[] = [];
    for (const factory of this.#options.middleware ?? []) {
      const m = factory.startCall({ method });
      if (m !== undefined) middleware.push(m);
    }
    const extra = middleware.map((m) => m.sendingHeaders?.());
    const timeoutMs = options?.timeoutMs ?? this.#options.timeoutMs;
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0)) {
      throw new FlightInvalidArgumentError(`timeoutMs must be a non-negative number, got ${timeoutMs}`);
    }
    return {
      headers: mergeHeaders(this.#options.headers, this.#authHeader, options?.headers, ...extra),
      deadline: timeoutMs === undefined ? undefined : new Date(Date.now() + timeoutMs),
      signal: options?.signal,
      onHeaders(headers) {
        for (const m of middleware) m.receivedHeaders?.(headers);
      },
      onComplete(error, trailers) {
        completion?.complete(error);
        for (const m of middleware) m.callCompleted?.(error, trailers);
      },
    };
  }

  async #unary(method: FlightMethod, request: Uint8Array, options: CallOptions | undefined): Promise<Uint8Array> {
    return this.#channel.unary(method, request, this.#setup(method, options));
  }

  #serverStream<T>(
    method: FlightMethod,
    request: Uint8Array,
    decode: (b: Uint8Array) => T,
    options?: CallOptions,
  ): AsyncIterable<T> {
    const call = this.#channel.serverStream(method, request, this.#setup(method, options));
    return iterateMessages(
      () => call.read(),
      decode,
      () => call.cancel(),
    );
  }

  /**
   * Runs a Handshake: sends `messages`, half-closes, collects the responses.
   * @returns the server's messages and response headers.
   */
  async handshake(
    messages: Iterable<HandshakeMessage> = [],
    options?: CallOptions,
  ): Promise<{ messages: HandshakeMessage[]; headers: IncomingHeaders; trailers: IncomingHeaders }> {
    let trailers: IncomingHeaders = {};
    const setup = this.#setup("Handshake", options);
    const onComplete = setup.onComplete;
    const call = this.#channel.bidi("Handshake", {
      ...setup,
      onComplete(error, t) {
        trailers = t;
        onComplete?.(error, t);
      },
    });
    for (const m of messages) if (!call.write(codec.encodeHandshake(m))) await call.drained();
    call.halfClose();
    const replies: HandshakeMessage[] = [];
    for (;;) {
      const message = await call.read();
      if (message === undefined) break;
      replies.push(codec.decodeHandshake(message));
    }
    return { messages: replies, headers: await call.headers(), trailers };
  }

  /**
   * Basic -> Bearer authentication (pyarrow's `authenticate_basic_token`): a Handshake
   * with `authorization: Basic ...`; the server's `authorization: Bearer ...` header is
   * returned and, unless `attach: false`, sent with every later call of this client.
   * @returns the header pair `["authorization", "Bearer <token>"]`.
   * @throws FlightUnauthenticatedError for bad credentials or when the server sent no token.
   */
  async authenticateBasicToken(
    username: string,
    password: string,
    options?: BasicAuthOptions,
  ): Promise<readonly [string, string]> {
    const { headers, trailers } = await this.handshake([], {
      ...options,
      headers: { ...options?.headers, authorization: formatBasicHeader(username, password) },
    });
    const bearer = extractBearerToken(headers) ?? extractBearerToken(trailers);
    if (bearer === undefined) throw new FlightUnauthenticatedError("the server returned no bearer token");
    if (options?.attach ?? true) this.#authHeader = { authorization: bearer };
    return ["authorization", bearer] as const;
  }

  /** Flights the server lists for `criteria` (pyarrow's `list_flights`). The call starts at once. */
  listFlights(criteria?: Criteria | Uint8Array, options?: CallOptions): AsyncIterable<FlightInfo> {
    const expression =
      criteria === undefined ? new Uint8Array(0) : criteria instanceof Uint8Array ? criteria : criteria.expression;
    return this.#serverStream("ListFlights", codec.encodeCriteria({ expression }), codec.decodeFlightInfo, options);
  }

  /** The plan for reading a flight. */
  async getFlightInfo(descriptor: FlightDescriptor, options?: CallOptions): Promise<FlightInfo> {
    return codec.decodeFlightInfo(await this.#unary("GetFlightInfo", codec.encodeDescriptor(descriptor), options));
  }

  /** Progress of a long-running query. */
  async pollFlightInfo(descriptor: FlightDescriptor, options?: CallOptions): Promise<PollInfo> {
    return codec.decodePollInfo(await this.#unary("PollFlightInfo", codec.encodeDescriptor(descriptor), options));
  }

  /** The schema of a flight. */
  async getSchema(descriptor: FlightDescriptor, options?: CallOptions): Promise<Schema> {
    return codec.decodeSchemaResult(await this.#unary("GetSchema", codec.encodeDescriptor(descriptor), options));
  }

  /**
   * Reads a ticket's data. The call starts at once; errors surface on the reader's reads.
   * Accepts a Ticket, its bytes, or a string (UTF-8).
   */
  doGet(ticket: Ticket | Uint8Array | string, options?: CallOptions): FlightStreamReader {
    const bytes =
      typeof ticket === "string"
        ? new TextEncoder().encode(ticket)
        : ticket instanceof Uint8Array
          ? ticket
          : ticket.ticket;
    const request = codec.encodeTicket({ ticket: bytes });
    const call =
      this.#threads === undefined || this.#closed
        ? this.#channel.serverStream("DoGet", request, this.#setup("DoGet", options))
        : this.#threadDoGet(this.#threads, request, options);
    return new FlightStreamReader(
      { read: () => call.read(), cancel: () => call.cancel() },
      { maxMessageBytes: this.#options.maxReceiveMessageBytes ?? 64 * 1024 * 1024 },
    );
  }

  /**
   * Uploads data. The schema (with the descriptor) is sent at once; write batches with
   * `writer.write`, then `await writer.close()`.
   */
  doPut(descriptor: FlightDescriptor, schema: Schema, options?: CallOptions): DoPutCall {
    const completion = new Completion();
    const call = this.#channel.bidi("DoPut", this.#setup("DoPut", options, completion));
    const read = serialReader(call);
    let resultsClaimed = false;
    const finish = async () => {
      // Nobody reads the acknowledgements: discard them so the server can finish.
      if (!resultsClaimed) {
        for (;;) {
          if ((await read()) === undefined) break;
        }
      }
      await completion.wait();
    };
    const writer = new FlightPutWriter(
      { write: (m) => call.write(m), drained: () => call.drained(), end: () => call.halfClose() },
      { descriptor: codec.encodeDescriptor(descriptor), maxMessageBytes: this.#maxMessageBytes },
      finish,
    );
    writer.beginNow(schema).catch(() => undefined);
    const acks = iterateMessages(read, codec.decodePutResult);
    const results: AsyncIterable<PutResult> = {
      [Symbol.asyncIterator]: () => {
        resultsClaimed = true;
        return acks[Symbol.asyncIterator]();
      },
    };
    return { writer, results };
  }

  /**
   * Opens a bidirectional exchange. The descriptor is sent at once (alone), so the
   * server can start answering before the client writes anything.
   */
  doExchange(descriptor: FlightDescriptor, options?: CallOptions): DoExchangeCall {
    const call = this.#channel.bidi("DoExchange", this.#setup("DoExchange", options));
    const empty = new Uint8Array(0);
    call.write(
      encodeFlightData({
        descriptor: codec.encodeDescriptor(descriptor),
        header: empty,
        body: empty,
        appMetadata: empty,
      }),
    );
    const writer = new FlightStreamWriter(
      { write: (m) => call.write(m), drained: () => call.drained(), end: () => call.halfClose() },
      { maxMessageBytes: this.#maxMessageBytes },
    );
    const reader = new FlightStreamReader(
      { read: () => call.read(), cancel: () => call.cancel() },
      { maxMessageBytes: this.#options.maxReceiveMessageBytes ?? 64 * 1024 * 1024 },
    );
    return { writer, reader };
  }

  /** Runs an action; the call starts at once. Accepts an Action or just its type. */
  doAction(action: Action | string, options?: CallOptions): AsyncIterable<Result> {
    const a: Action = typeof action === "string" ? { type: action, body: new Uint8Array(0) } : action;
    return this.#serverStream("DoAction", codec.encodeAction(a), codec.decodeResult, options);
  }

  /** The actions the server offers. */
  async listActions(options?: CallOptions): Promise<ActionType[]> {
    const out: ActionType[] = [];
    for await (const t of this.#serverStream("ListActions", codec.encodeEmpty(), codec.decodeActionType, options))
      out.push(t);
    return out;
  }

  async #singleActionResult(action: Action, options: CallOptions | undefined): Promise<Uint8Array> {
    let body: Uint8Array | undefined;
    for await (const result of this.doAction(action, options)) body ??= result.body;
    if (body === undefined) throw createFlightError(StatusCode.INTERNAL, `${action.type} returned no result`);
    return body;
  }

  /** The well-known CancelFlightInfo action. */
  async cancelFlightInfo(info: FlightInfo, options?: CallOptions): Promise<CancelStatus> {
    const body = codec.encodeCancelFlightInfoRequest(info);
    return codec.decodeCancelFlightInfoResult(
      await this.#singleActionResult({ type: WellKnownAction.CancelFlightInfo, body }, options),
    );
  }

  /** The well-known RenewFlightEndpoint action: the endpoint with a later expiration. */
  async renewFlightEndpoint(endpoint: FlightEndpoint, options?: CallOptions): Promise<FlightEndpoint> {
    const body = codec.encodeRenewFlightEndpointRequest(endpoint);
    return codec.decodeEndpoint(
      await this.#singleActionResult({ type: WellKnownAction.RenewFlightEndpoint, body }, options),
    );
  }

  /** Connects and resolves once the channel is ready. @throws FlightUnavailableError at the timeout. */
  waitForReady(options: WaitForReadyOptions = {}): Promise<void> {
    return this.#channel.waitForReady(new Date(Date.now() + (options.timeoutMs ?? 30_000)), options.signal);
  }

  /** The bearer header attached to calls, if authenticated. */
  get authorization(): string | undefined {
    const value = this.#authHeader?.["authorization"];
    return typeof value === "string" ? value : undefined;
  }

  /** A DoGet on a receive thread, cancelled by `close()` like the channel's own calls. */
  #threadDoGet(threads: ReceiveThreadPool, request: Uint8Array, options: CallOptions | undefined): ClientStreamAdapter {
    const setup = this.#setup("DoGet", options);
    let cancel: () => void = () => {};
    const calls = this.#threadCalls;
    const call = threads.serverStream(this.#target, this.#settings, "DoGet", request, {
      ...setup,
      onComplete(error, trailers) {
        calls.delete(cancel);
        setup.onComplete?.(error, trailers);
      },
    });
    cancel = () => call.cancel();
    calls.add(cancel);
    return call;
  }

  /** Closes the connection. */
  close(): void {
    this.#closed = true;
    this.#channel.close();
    for (const cancel of this.#threadCalls) cancel();
    this.#threadCalls.clear();
  }
}
