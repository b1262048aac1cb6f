/**
 * The handler interface a Flight service implements (pyarrow's `FlightServerBase`
 * methods), and the per-RPC glue that decodes requests, calls the handler and writes
 * its answers with backpressure.
 */
import type { Schema } from "apache-arrow";
import { decodeFlightData } from "./flight-data.js";
import { FlightInvalidArgumentError, FlightUnimplementedError } from "./flight-error.js";
import {
  type Action,
  type ActionType,
  type CancelStatus,
  type Criteria,
  type FlightDescriptor,
  type FlightEndpoint,
  type FlightInfo,
  type HandshakeMessage,
  type PollInfo,
  type Result,
  type Ticket,
  WellKnownAction,
} from "./flight-messages.js";
import {
  decodeAction,
  decodeCancelFlightInfoRequest,
  decodeCriteria,
  decodeDescriptor,
  decodeHandshake,
  decodeRenewFlightEndpointRequest,
  decodeTicket,
  encodeActionType,
  encodeCancelFlightInfoResult,
  encodeEndpoint,
  encodeFlightInfo,
  encodeHandshake,
  encodePollInfo,
  encodePutResult,
  encodeResult,
  encodeSchemaResult,
} from "./flight-messages-codec.js";
import { FlightStreamReader } from "./flight-stream-reader.js";
import { type FlightMetadataWriter, FlightStreamWriter } from "./flight-stream-writer.js";
import type { FlightMethod, ServerCallAdapter } from "./grpc-service.js";
import type { SendBufferPool } from "./send-buffer-pool.js";
import type { ServerCallContext, ServerCallContextImpl } from "./server-call-context.js";
import { type FlightDataStream, toDataStream, writeDataStream } from "./server-data-stream.js";

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;
/** A sync or async iterable (a generator, an array, an async generator...). */
export type AnyIterable<T> = Iterable<T> | AsyncIterable<T>;

/**
 * A Flight service. Every method is optional; calls to a missing one fail with
 * UNIMPLEMENTED. Throw a FlightError to fail a call with its code; anything else
 * fails it with INTERNAL (details go to the server's logger, not to the client).
 */
export interface FlightServerHandlers {
  /** Custom handshake (after Basic/Bearer auth, if configured). Default: one empty reply per request. */
  handshake?(
    ctx: ServerCallContext,
    incoming: AsyncIterable<HandshakeMessage>,
  ): MaybePromise<AnyIterable<HandshakeMessage>>;
  /** Flights matching `criteria` (empty expression: all). */
  listFlights?(ctx: ServerCallContext, criteria: Criteria): MaybePromise<AnyIterable<FlightInfo>>;
  /** The plan for reading a flight. */
  getFlightInfo?(ctx: ServerCallContext, descriptor: FlightDescriptor): MaybePromise<FlightInfo>;
  /** Progress of a long-running query. */
  pollFlightInfo?(ctx: ServerCallContext, descriptor: FlightDescriptor): MaybePromise<PollInfo>;
  /** The schema of a flight. */
  getSchema?(ctx: ServerCallContext, descriptor: FlightDescriptor): MaybePromise<Schema>;
  /** The data of a ticket: batches with a schema, or pre-encoded FlightData messages. */
  doGet?(ctx: ServerCallContext, ticket: Ticket): MaybePromise<FlightDataStream>;
  /** Takes an upload; `reader.descriptor` names it. Acknowledge with `writer.write(appMetadata)`. */
  doPut?(ctx: ServerCallContext, reader: FlightStreamReader, writer: FlightMetadataWriter): MaybePromise<void>;
  /** Bidirectional exchange; `reader.descriptor` names it. */
  doExchange?(ctx: ServerCallContext, reader: FlightStreamReader, writer: FlightStreamWriter): MaybePromise<void>;
  /** Runs an action. */
  doAction?(ctx: ServerCallContext, action: Action): MaybePromise<AnyIterable<Result>>;
  /** The actions this service offers. */
  listActions?(ctx: ServerCallContext): MaybePromise<AnyIterable<ActionType>>;
  /** The well-known CancelFlightInfo action; when absent the action goes to `doAction`. */
  cancelFlightInfo?(ctx: ServerCallContext, info: FlightInfo): MaybePromise<CancelStatus>;
  /** The well-known RenewFlightEndpoint action; when absent the action goes to `doAction`. */
  renewFlightEndpoint?(ctx: ServerCallContext, endpoint: FlightEndpoint): MaybePromise<FlightEndpoint>;
}

/** Settings the RPC glue needs. */
export interface RpcSettings {
  /** Upper bound for outgoing FlightData messages (batches are sliced). */
  readonly maxMessageBytes: number;
  /** Upper bound for incoming messages. */
  readonly maxReceiveMessageBytes: number;
  /** Memory for the messages DoGet encodes (reused once written); a new allocation per message when absent. */
  readonly sendBuffers?: SendBufferPool | undefined;
}

type Rpc = (
  handlers: FlightServerHandlers,
  ctx: ServerCallContextImpl,
  call: ServerCallAdapter,
  settings: RpcSettings,
) => Promise<void>;

function unimplemented(method: FlightMethod): never {
  throw new FlightUnimplementedError(`${method} is not implemented by this server`);
}

async function readRequest(call: ServerCallAdapter): Promise<Uint8Array> {
  const message = await call.read();
  if (message === undefined) throw new FlightInvalidArgumentError(`${call.method}: missing request message`);
  return message;
}

async function sendAll<T>(
  ctx: ServerCallContextImpl,
  items: AnyIterable<T>,
  encode: (item: T) => Uint8Array,
): Promise<void> {
  for await (const item of items) {
    ctx.signal.throwIfAborted();
    await ctx.send(encode(item));
  }
}

function incomingHandshakes(call: ServerCallAdapter): AsyncIterable<HandshakeMessage> {
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<HandshakeMessage, undefined>> {
        const message = await call.read();
        return message === undefined
          ? { done: true, value: undefined }
          : { done: false, value: decodeHandshake(message) };
      },
    }),
  };
}

async function openUpload(call: ServerCallAdapter, settings: RpcSettings): Promise<FlightStreamReader> {
  const first = await call.read();
  if (first === undefined) {
    throw new FlightInvalidArgumentError(
      `${call.method}: the stream is empty; its first message must carry a FlightDescriptor`,
    );
  }
  const frame = decodeFlightData(first, settings.maxReceiveMessageBytes);
  if (frame.descriptor === undefined) {
    throw new FlightInvalidArgumentError(`${call.method}: the first message has no flight_descriptor`);
  }
  const descriptor = decodeDescriptor(frame.descriptor);
  return new FlightStreamReader(
    { read: () => call.read(), cancel: () => {} },
    { descriptor, firstFrame: frame, maxMessageBytes: settings.maxReceiveMessageBytes },
  );
}

const rpcs: Record<FlightMethod, Rpc> = {
  async Handshake(handlers, ctx, call) {
    const incoming = incomingHandshakes(call);
    if (handlers.handshake === undefined) {
      for await (const message of incoming) {
        await ctx.send(encodeHandshake({ protocolVersion: message.protocolVersion, payload: new Uint8Array(0) }));
      }
      return;
    }
    await sendAll(ctx, await handlers.handshake(ctx, incoming), encodeHandshake);
  },
  async ListFlights(handlers, ctx, call) {
    const criteria = decodeCriteria(await readRequest(call));
    if (handlers.listFlights === undefined) unimplemented(call.method);
    await sendAll(ctx, await handlers.listFlights(ctx, criteria), encodeFlightInfo);
  },
  async GetFlightInfo(handlers, ctx, call) {
    const descriptor = decodeDescriptor(await readRequest(call));
    if (handlers.getFlightInfo === undefined) unimplemented(call.method);
    await ctx.send(encodeFlightInfo(await handlers.getFlightInfo(ctx, descriptor)));
  },
  async PollFlightInfo(handlers, ctx, call) {
    const descriptor = decodeDescriptor(await readRequest(call));
    if (handlers.pollFlightInfo === undefined) unimplemented(call.method);
    await ctx.send(encodePollInfo(await handlers.pollFlightInfo(ctx, descriptor)));
  },
  async GetSchema(handlers, ctx, call) {
    const descriptor = decodeDescriptor(await readRequest(call));
    if (handlers.getSchema === undefined) unimplemented(call.method);
    await ctx.send(encodeSchemaResult(await handlers.getSchema(ctx, descriptor)));
  },
  async DoGet(handlers, ctx, call, settings) {
    const ticket = decodeTicket(await readRequest(call));
    if (handlers.doGet === undefined) unimplemented(call.method);
    const stream = toDataStream(await handlers.doGet(ctx, ticket));
    await writeDataStream(stream, ctx, settings.maxMessageBytes, settings.sendBuffers);
  },
  async DoPut(handlers, ctx, call, settings) {
    if (handlers.doPut === undefined) unimplemented(call.method);
    const reader = await openUpload(call, settings);
    const writer: FlightMetadataWriter = { write: (appMetadata) => ctx.send(encodePutResult({ appMetadata })) };
    await handlers.doPut(ctx, reader, writer);
  },
  async DoExchange(handlers, ctx, call, settings) {
    if (handlers.doExchange === undefined) unimplemented(call.method);
    const reader = await openUpload(call, settings);
    const writer = new FlightStreamWriter(ctx, { maxMessageBytes: settings.maxMessageBytes });
    await handlers.doExchange(ctx, reader, writer);
  },
  async DoAction(handlers, ctx, call) {
    const action = decodeAction(await readRequest(call));
    if (action.type === WellKnownAction.CancelFlightInfo && handlers.cancelFlightInfo !== undefined) {
      const status = await handlers.cancelFlightInfo(ctx, decodeCancelFlightInfoRequest(action.body));
      await ctx.send(encodeResult({ body: encodeCancelFlightInfoResult(status) }));
      return;
    }
    if (action.type === WellKnownAction.RenewFlightEndpoint && handlers.renewFlightEndpoint !== undefined) {
      const endpoint = await handlers.renewFlightEndpoint(ctx, decodeRenewFlightEndpointRequest(action.body));
      await ctx.send(encodeResult({ body: encodeEndpoint(endpoint) }));
      return;
    }
    if (handlers.doAction === undefined) unimplemented(call.method);
    await sendAll(ctx, await handlers.doAction(ctx, action), encodeResult);
  },
  async ListActions(handlers, ctx, call) {
    if (handlers.listActions === undefined) unimplemented(call.method);
    await sendAll(ctx, await handlers.listActions(ctx), encodeActionType);
  },
};

/** Runs one RPC to the point where every response message is queued (the caller ends the call). */
export function runRpc(
  handlers: FlightServerHandlers,
  ctx: ServerCallContextImpl,
  call: ServerCallAdapter,
  settings: RpcSettings,
): Promise<void> {
  return rpcs[call.method](handlers, ctx, call, settings);
}
