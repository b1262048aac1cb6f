/**
 * Argument checks shared by both backends, so that both reject exactly the same
 * input with the same message. Every check throws `RegistryInvalidArgumentError`
 * naming the argument; the `normalize*` functions also return a defensive copy.
 */
import { RegistryAbortedError, RegistryInvalidArgumentError } from "./registry-error.js";
import type {
  AnnouncedShard,
  CommitRequest,
  LockLease,
  ShardSpec,
  TicketPayload,
  WorkerRegistration,
} from "./registry-types.js";

/** Worker and shard ids: safe inside Redis keys (no braces, spaces or control characters). */
const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
/** Upload and ticket ids: 32 base64url characters (192 bits). */
const RANDOM_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Largest schema message accepted, in bytes. */
export const MAX_SCHEMA_BYTES = 16 * 1024 * 1024;
/** Most shards in one dataset version. */
export const MAX_SHARDS = 100_000;
/** Most replicas of one shard. */
export const MAX_REPLICAS = 64;
/** Longest TTL of a worker registration (one day), in ms. */
export const MAX_WORKER_TTL_MS = 86_400_000;
/** Longest TTL of an upload or ticket (one week), in ms. */
export const MAX_TTL_MS = 604_800_000;

function invalid(message: string): never {
  throw new RegistryInvalidArgumentError(message);
}

/** Throw unless `value` is a worker or shard id. */
export function checkId(value: unknown, what: string): string {
  if (typeof value !== "string" || !ID_PATTERN.test(value)) {
    invalid(`${what} must be 1..128 characters of [A-Za-z0-9._:@-], got ${describe(value)}`);
  }
  return value;
}

/** True when `value` has the shape of an upload or ticket id. */
export function isRandomId(value: unknown): value is string {
  return typeof value === "string" && RANDOM_ID_PATTERN.test(value);
}

/** Throw unless `value` has the shape of an upload id. */
export function checkUploadId(value: unknown): string {
  if (!isRandomId(value)) invalid(`upload id must be 32 base64url characters, got ${describe(value)}`);
  return value;
}

/** Throw unless `value` is a dataset name: 1..256 characters without control characters. */
export function checkDatasetName(value: unknown, what = "dataset name"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 256 || CONTROL.test(value)) {
    invalid(`${what} must be 1..256 characters without control characters, got ${describe(value)}`);
  }
  if (LONE_SURROGATE.test(value)) invalid(`${what} must be well-formed Unicode (it has a lone surrogate)`);
  return value;
}

/** Throw unless `value` is an integer in `[min, max]`. */
export function checkInteger(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    invalid(`${what} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

/** Throw unless `value` is a TTL in ms within `[min, max]`. */
export function checkTtl(value: unknown, what: string, min: number, max: number): number {
  return checkInteger(value, `${what} (ms)`, min, max);
}

/** Throw unless `value` is a version number (>= 1). */
export function checkVersion(value: unknown, what = "version"): number {
  return checkInteger(value, what, 1);
}

/** Throw unless `value` is an epoch (>= 1). */
export function checkEpoch(value: unknown): number {
  return checkInteger(value, "epoch", 1);
}

/** Throw unless `value` is a finite load >= 0. */
export function checkLoad(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    invalid(`load must be a finite number >= 0, got ${describe(value)}`);
  }
  return value;
}

function checkText(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== "string" || value.length < min || value.length > max || CONTROL.test(value)) {
    invalid(`${what} must be ${min}..${max} characters without control characters, got ${describe(value)}`);
  }
  if (LONE_SURROGATE.test(value)) invalid(`${what} must be well-formed Unicode (it has a lone surrogate)`);
  return value;
}

/** Throw unless `value` is an encapsulated schema message (a non-empty Uint8Array of at most 16 MiB); returns a copy. */
export function checkSchema(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array) || value.byteLength === 0 || value.byteLength > MAX_SCHEMA_BYTES) {
    invalid(`schema must be a Uint8Array of 1..${MAX_SCHEMA_BYTES} bytes, got ${describe(value)}`);
  }
  return value.slice();
}

/** Validate a registration; returns a normalized copy (load defaulted to 0). */
export function normalizeRegistration(value: WorkerRegistration): Required<WorkerRegistration> {
  if (typeof value !== "object" || value === null) invalid("registration must be an object");
  const id = checkId(value.id, "worker id");
  if (!Array.isArray(value.locations) || value.locations.length < 1 || value.locations.length > 16) {
    invalid(`locations of worker ${id} must be an array of 1..16 URIs`);
  }
  const locations = value.locations.map((location: unknown, i: number) => {
    const text = checkText(location, `locations[${i}] of worker ${id}`, 1, 2048);
    if (!URI_SCHEME.test(text)) invalid(`locations[${i}] of worker ${id} must be a URI with a scheme, got "${text}"`);
    return text;
  });
  return {
    id,
    locations,
    zone: checkText(value.zone, `zone of worker ${id}`, 1, 128),
    capacity: checkInteger(value.capacity, `capacity of worker ${id} (bytes)`, 0),
    load: value.load === undefined ? 0 : checkLoad(value.load),
    ttlMs: checkTtl(value.ttlMs, `ttlMs of worker ${id}`, 100, MAX_WORKER_TTL_MS),
  };
}

/** Validate a shard; returns a copy with replicas de-duplicated and sorted. */
export function normalizeShard(value: ShardSpec, what = "shard"): ShardSpec {
  if (typeof value !== "object" || value === null) invalid(`${what} must be an object`);
  const id = checkId(value.id, `${what} id`);
  const label = `${what} ${id}`;
  if (!Array.isArray(value.replicas) || value.replicas.length > MAX_REPLICAS) {
    invalid(`replicas of ${label} must be an array of at most ${MAX_REPLICAS} worker ids`);
  }
  const replicas = [
    ...new Set(value.replicas.map((r: unknown, i: number) => checkId(r, `replicas[${i}] of ${label}`))),
  ];
  return {
    id,
    index: checkInteger(value.index, `index of ${label}`, 0, MAX_SHARDS - 1),
    rows: checkInteger(value.rows, `rows of ${label}`, 0),
    bytes: checkInteger(value.bytes, `bytes of ${label}`, 0),
    digest: checkText(value.digest, `digest of ${label}`, 1, 256),
    replicas: replicas.sort(),
  };
}

/**
 * Validate a commit: a schema, and shards whose indexes are exactly 0..n-1, with
 * distinct ids and at least one replica each. Returns copies, shards ordered by index.
 */
export function normalizeCommit(value: CommitRequest): { schema: Uint8Array; shards: ShardSpec[] } {
  if (typeof value !== "object" || value === null) invalid("commit request must be an object");
  const schema = checkSchema(value.schema);
  if (!Array.isArray(value.shards) || value.shards.length < 1 || value.shards.length > MAX_SHARDS) {
    invalid(`shards must be an array of 1..${MAX_SHARDS} shards`);
  }
  const shards = value.shards.map((s: ShardSpec, i: number) => normalizeShard(s, `shards[${i}]`));
  const ids = new Set<string>();
  const byIndex: ShardSpec[] = new Array(shards.length);
  for (const shard of shards) {
    if (ids.has(shard.id)) invalid(`shard id ${shard.id} appears twice in the commit`);
    ids.add(shard.id);
    if (shard.index >= shards.length) {
      invalid(
        `shard ${shard.id} has index ${shard.index}, but a commit of ${shards.length} shards needs indexes 0..${shards.length - 1}`,
      );
    }
    if (byIndex[shard.index] !== undefined) invalid(`shard index ${shard.index} appears twice in the commit`);
    if (shard.replicas.length === 0) invalid(`shard ${shard.id} has no replica`);
    byIndex[shard.index] = shard;
  }
  return { schema, shards: byIndex };
}

/** Validate an announcement list; returns copies (schemas copied). */
export function normalizeAnnounced(value: readonly AnnouncedShard[]): AnnouncedShard[] {
  if (!Array.isArray(value) || value.length > MAX_SHARDS)
    invalid(`announced shards must be an array of at most ${MAX_SHARDS}`);
  return value.map((s: AnnouncedShard, i: number) => {
    const what = `announced shard ${i}`;
    if (typeof s !== "object" || s === null) invalid(`${what} must be an object`);
    const shardCount = checkInteger(s.shardCount, `shardCount of ${what}`, 1, MAX_SHARDS);
    const out: AnnouncedShard = {
      dataset: checkDatasetName(s.dataset, `dataset of ${what}`),
      version: checkVersion(s.version, `version of ${what}`),
      shardId: checkId(s.shardId, `shardId of ${what}`),
      index: checkInteger(s.index, `index of ${what}`, 0, shardCount - 1),
      shardCount,
      rows: checkInteger(s.rows, `rows of ${what}`, 0),
      bytes: checkInteger(s.bytes, `bytes of ${what}`, 0),
      digest: checkText(s.digest, `digest of ${what}`, 1, 256),
      schema: checkSchema(s.schema),
    };
    return s.createdAt === undefined
      ? out
      : { ...out, createdAt: checkInteger(s.createdAt, `createdAt of ${what}`, 0) };
  });
}

/** Validate a ticket payload; returns a copy without undefined fields. */
/** Normalize a batch of ticket payloads (at most {@link MAX_SHARDS}); every payload is checked. */
export function normalizeTicketPayloads(values: readonly TicketPayload[]): TicketPayload[] {
  if (!Array.isArray(values) || values.length > MAX_SHARDS) {
    invalid(`ticket payloads must be an array of at most ${MAX_SHARDS}`);
  }
  return values.map((value, i) => {
    try {
      return normalizeTicketPayload(value);
    } catch (error) {
      if (error instanceof RegistryInvalidArgumentError) invalid(`ticket payloads[${i}]: ${error.message}`);
      throw error;
    }
  });
}

export function normalizeTicketPayload(value: TicketPayload): TicketPayload {
  if (typeof value !== "object" || value === null) invalid("ticket payload must be an object");
  const out: { -readonly [K in keyof TicketPayload]: TicketPayload[K] } = {
    dataset: checkDatasetName(value.dataset, "ticket dataset"),
    version: checkVersion(value.version, "ticket version"),
    shardId: checkId(value.shardId, "ticket shardId"),
  };
  if (value.columns !== undefined) {
    if (!Array.isArray(value.columns) || value.columns.length > 10_000) {
      invalid("ticket columns must be an array of at most 10000 names");
    }
    out.columns = value.columns.map((c: unknown, i: number) => {
      if (typeof c !== "string" || c.length > 4096)
        invalid(`ticket columns[${i}] must be a string of at most 4096 characters`);
      return c;
    });
  }
  if (value.principal !== undefined) out.principal = checkText(value.principal, "ticket principal", 1, 1024);
  return out;
}

/** Throw unless `value` is a key prefix: 1..64 characters of `[A-Za-z0-9._:-]`. */
export function normalizePrefix(value: unknown): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9._:-]{1,64}$/.test(value)) {
    invalid(`prefix must be 1..64 characters of [A-Za-z0-9._:-], got ${describe(value)}`);
  }
  return value;
}

/** Throw unless `value` has the shape of a lock lease. */
export function checkLockLease(value: LockLease): void {
  if (typeof value !== "object" || value === null) invalid("lock lease must be an object");
  checkId(value.name, "lock name");
  if (!isRandomId(value.token)) invalid("lock lease token must be 32 base64url characters");
}

/** Throw `RegistryAbortedError` if `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RegistryAbortedError("registry operation aborted", { cause: signal.reason });
}

/** Short description of a bad value for error messages (never the whole value). */
function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) {
    return String(value);
  }
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}
