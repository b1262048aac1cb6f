/**
 * DoGet on a worker: redeem a ticket for one shard held here.
 *
 * The ticket resolves through the registry (cached, see ticket-cache.ts) to
 * `{dataset, version, shardId, columns?}`. Tickets for shards this worker does not
 * hold are refused with FAILED_PRECONDITION naming the shard and the worker. Without
 * a projection the shard file's messages are sent as they are stored (pre-encoded
 * FlightData, read ahead a few messages, paced by the transport); with one, each batch
 * is decoded, its columns selected and re-encoded. The `x-flight-cluster-skip-batches`
 * header skips record batches for resume; schema and dictionaries are always sent, and the
 * response headers echo the header to acknowledge the skip.
 */
import {
  EncodedFlightDataStream,
  FlightDataDecoder,
  type FlightDataStream,
  FlightFailedPreconditionError,
  FlightInvalidArgumentError,
  FlightNotFoundError,
  FlightUnauthorizedError,
  GeneratorStream,
  getHeader,
  type ServerCallContext,
  type Ticket,
} from "@flight-cluster/protocol";
import type { TicketPayload } from "@flight-cluster/registry";
import type { RecordBatch, Schema } from "apache-arrow";
import { schemaShapeFromHeader } from "./ipc-schema-nodes.js";
import type { WorkerOutcome } from "./metrics.js";
import { readShardFlightData, readShardFrames } from "./shard-reader.js";
import type { OpenShard } from "./shard-store.js";
import type { WorkerContext } from "./worker-context.js";
import { toFlightError } from "./worker-flight-error.js";

/** Header asking to skip this many record batches (resume after a failover). */
export const SKIP_BATCHES_HEADER = "x-flight-cluster-skip-batches";

const TICKET_ID = /^[A-Za-z0-9_-]{1,256}$/;
const EMPTY = new Uint8Array(0);

/** The ticket id carried by a Ticket (UTF-8 base64url). @throws FlightInvalidArgumentError when malformed. */
export function ticketId(ticket: Ticket): string {
  const bytes = ticket.ticket;
  const text = bytes.byteLength <= 256 ? new TextDecoder("utf-8", { fatal: false }).decode(bytes) : "";
  if (!TICKET_ID.test(text)) {
    throw new FlightInvalidArgumentError(
      `malformed ticket (${bytes.byteLength} bytes): expected a ticket id issued by the planner's GetFlightInfo`,
    );
  }
  return text;
}

/** The skip-batches header as a count. @throws FlightInvalidArgumentError when not a non-negative integer. */
export function skipBatches(ctx: ServerCallContext): number {
  const raw = getHeader(ctx.headers, SKIP_BATCHES_HEADER);
  if (raw === undefined || raw === "") return 0;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new FlightInvalidArgumentError(
      `${SKIP_BATCHES_HEADER} must be a non-negative integer, got ${JSON.stringify(raw)}`,
    );
  }
  return Number(raw);
}

function outcomeOf(error: unknown, signal: AbortSignal): WorkerOutcome {
  return signal.aborted || (error instanceof Error && error.name === "AbortError") ? "cancelled" : "error";
}

async function* encodedMessages(
  wc: WorkerContext,
  ctx: ServerCallContext,
  open: OpenShard,
  skip: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const activity = wc.activity.start("doget");
  let outcome: WorkerOutcome = "ok";
  try {
    const messages = readShardFlightData(open.file, open.index, {
      readAhead: wc.options.readAheadMessages,
      skipBatches: skip,
      signal: ctx.signal,
      where: open.where,
      allocate: (size, alignedPos) => wc.sendBuffers.allocate(size, alignedPos),
    });
    for await (const message of messages) {
      activity.addBytes(message.byteLength);
      yield message;
    }
  } catch (error) {
    outcome = outcomeOf(error, ctx.signal);
    throw streamFailure(wc, open, error);
  } finally {
    if (ctx.signal.aborted && outcome === "ok") outcome = "cancelled";
    activity.finish(outcome);
    await open.close();
  }
}

/** Map an error raised mid-stream; internal ones are logged with their cause. */
function streamFailure(wc: WorkerContext, open: OpenShard, error: unknown): Error {
  const mapped = toFlightError(error).error;
  if (mapped.code === 13) {
    wc.logger.log("error", "doget_failed", { shardId: open.entry.shardId, file: open.where, error, cause: error });
  }
  return mapped;
}

/**
 * Indexes of the projected columns, in the schema's order (as the planner documents).
 * apache-arrow's `RecordBatch.select` loses columns that are not a prefix (it keeps the
 * original child positions), so projections go through `selectAt` with these indexes.
 * @throws FlightInvalidArgumentError naming unknown columns.
 */
function projectionIndexes(schema: Schema, columns: readonly string[], shardId: string): number[] {
  const names = schema.fields.map((f) => f.name);
  const unknown = columns.filter((c) => !names.includes(c));
  if (unknown.length > 0) {
    throw new FlightInvalidArgumentError(
      `ticket for shard ${shardId} projects unknown columns ${JSON.stringify(unknown)}; the shard has ${JSON.stringify(names)}`,
    );
  }
  return names.flatMap((name, i) => (columns.includes(name) ? [i] : []));
}

async function* projectedBatches(
  wc: WorkerContext,
  ctx: ServerCallContext,
  open: OpenShard,
  skip: number,
  indexes: readonly number[],
): AsyncGenerator<RecordBatch, void, undefined> {
  const activity = wc.activity.start("doget");
  let outcome: WorkerOutcome = "ok";
  try {
    const decoder = new FlightDataDecoder();
    const frames = readShardFrames(open.file, open.index, {
      readAhead: wc.options.readAheadMessages,
      skipBatches: skip,
      signal: ctx.signal,
      where: open.where,
    });
    for await (const frame of frames) {
      const decoded = decoder.decode({ header: frame.header, body: frame.body, appMetadata: EMPTY });
      activity.addBytes(frame.header.byteLength + frame.body.byteLength);
      if (decoded.kind === "batch") yield decoded.batch.selectAt(indexes as number[]);
    }
  } catch (error) {
    outcome = outcomeOf(error, ctx.signal);
    throw streamFailure(wc, open, error);
  } finally {
    if (ctx.signal.aborted && outcome === "ok") outcome = "cancelled";
    activity.finish(outcome);
    await open.close();
  }
}

function checkPrincipal(ctx: ServerCallContext, payload: TicketPayload): void {
  if (payload.principal === undefined || ctx.peerIdentity === "") return;
  if (payload.principal !== ctx.peerIdentity) {
    throw new FlightUnauthorizedError("this ticket was issued to another principal");
  }
}

/**
 * Serve DoGet for `ticket`.
 * @throws FlightInvalidArgumentError (malformed ticket or header, unknown projected
 * column), FlightNotFoundError (unknown, expired or cancelled ticket),
 * FlightFailedPreconditionError (shard not held here), FlightUnauthorizedError
 * (ticket issued to another principal), registry errors.
 */
export async function doGetShard(wc: WorkerContext, ctx: ServerCallContext, ticket: Ticket): Promise<FlightDataStream> {
  const id = ticketId(ticket);
  const skip = skipBatches(ctx);
  const info = await wc.tickets.resolve(id, ctx.signal);
  if (info === null) {
    throw new FlightNotFoundError("ticket is unknown, expired or cancelled; call GetFlightInfo again for a new one");
  }
  const { payload } = info;
  checkPrincipal(ctx, payload);
  const entry = wc.store.get(payload.shardId);
  if (entry === undefined || entry.dataset !== payload.dataset || entry.version !== payload.version) {
    throw new FlightFailedPreconditionError(
      `shard ${payload.shardId} (${payload.dataset} v${payload.version}) is not held by worker ${wc.workerId}; ` +
        "ask the planner for current locations",
    );
  }
  const open = await wc.store.openShard(payload.shardId);
  // Acknowledge the resume: the client then knows the skipped batches are not in this stream
  // (a server without the header acknowledges nothing, and the client skips them itself).
  if (skip > 0) ctx.addHeader(SKIP_BATCHES_HEADER, String(skip));
  try {
    const columns = payload.columns;
    if (columns === undefined) {
      return new EncodedFlightDataStream(encodedMessages(wc, ctx, open, skip), {
        onWritten: (message) => wc.sendBuffers.release(message),
      });
    }
    const schemaHeader = await readSchemaHeader(open);
    const schema = schemaShapeFromHeader(schemaHeader).schema;
    const indexes = projectionIndexes(schema, columns, payload.shardId);
    return new GeneratorStream(schema.selectAt(indexes), projectedBatches(wc, ctx, open, skip, indexes));
  } catch (error) {
    await open.close();
    throw error;
  }
}

async function readSchemaHeader(open: OpenShard): Promise<Uint8Array> {
  const first = open.index.entries[0];
  if (first === undefined) throw new FlightInvalidArgumentError(`shard file ${open.where} has no schema`);
  const header = Buffer.allocUnsafe(first.headerLength);
  await open.file.read(header, 0, header.byteLength, first.headerOffset);
  return header;
}
