/**
 * The planner's side of the worker protocol (docs/architecture.md, "Actions (worker)"
 * and "Uploads"): the `put-shard` DoPut command, the PutResult a worker answers
 * with, and the bodies and results of `shard.delete` and `shard.copy_from`.
 *
 * Workers are peers inside the cluster, but their answers are still checked: a
 * malformed answer fails the operation with a clear error instead of corrupting the
 * catalog.
 */
import { PlannerError } from "./planner-error.js";

/** CMD descriptor of a DoPut that stores one shard replica on a worker. */
export interface PutShardCommand {
  readonly op: "put-shard";
  readonly uploadId: string;
  readonly shardId: string;
  readonly index: number;
  readonly dataset: string;
  readonly version: number;
}

/** What a worker reports after storing (or copying) a shard replica. */
export interface StoredShard {
  readonly rows: number;
  readonly bytes: number;
  /** `sha256:<hex>` of the stored IPC stream file. */
  readonly digest: string;
}

/** Body of the worker action `shard.copy_from`. */
export interface CopyFromRequest {
  readonly shardId: string;
  readonly dataset: string;
  readonly version: number;
  readonly index: number;
  /** Location of a worker holding the shard. */
  readonly location: string;
  /** Ticket id (UTF-8) for a DoGet of the whole shard at `location`. */
  readonly ticket: string;
}

/** Worker action names. */
export const WorkerAction = {
  list: "shard.list",
  delete: "shard.delete",
  copyFrom: "shard.copy_from",
} as const;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** UTF-8 JSON bytes of a `put-shard` command. */
export function encodePutShardCommand(command: Omit<PutShardCommand, "op">): Uint8Array {
  const value: PutShardCommand = { op: "put-shard", ...command };
  return utf8.encode(JSON.stringify(value));
}

/** UTF-8 JSON bytes of any JSON action body. */
export function encodeJson(value: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(value));
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Parse a worker's `{rows, bytes, digest, ...}` answer (a put-shard PutResult or a
 * `shard.copy_from` result). Extra fields are ignored.
 * @param what names the answer in error messages (e.g. `PutResult of worker w1 for shard s`).
 * @throws PlannerError `PLANNER_REPLICA_FAILED` (UNAVAILABLE) when the answer is malformed.
 */
export function parseStoredShard(bytes: Uint8Array, what: string): StoredShard {
  let value: unknown;
  try {
    value = JSON.parse(utf8Decoder.decode(bytes));
  } catch {
    throw new PlannerError("PLANNER_REPLICA_FAILED", `${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null) {
    throw new PlannerError("PLANNER_REPLICA_FAILED", `${what} is not a JSON object`);
  }
  const { rows, bytes: size, digest } = value as Record<string, unknown>;
  if (!isCount(rows) || !isCount(size) || typeof digest !== "string" || digest.length === 0 || digest.length > 256) {
    throw new PlannerError("PLANNER_REPLICA_FAILED", `${what} lacks valid rows, bytes and digest`);
  }
  return { rows, bytes: size, digest };
}
