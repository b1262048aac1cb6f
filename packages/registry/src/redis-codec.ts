/**
 * Encoding registry records into Redis values and decoding Lua replies back.
 * Every decoder validates what it reads and throws `RegistryCorruptError` naming the
 * record, so a tampered or incompatible value never becomes a half-valid object.
 */
import { RegistryCorruptError } from "./registry-error.js";
import type {
  AnnouncedShard,
  DatasetSummary,
  DatasetVersion,
  ShardInfo,
  ShardSpec,
  TicketPayload,
  UploadInfo,
  WorkerAnnouncement,
  WorkerInfo,
} from "./registry-types.js";

/** Fields of a dataset version's `meta` JSON. */
export interface VersionMeta {
  readonly name: string;
  readonly version: number;
  readonly schema: string;
  readonly shardCount: number;
  readonly totalRows: number;
  readonly totalBytes: number;
}

function corrupt(what: string, cause?: unknown): never {
  throw new RegistryCorruptError(`stored ${what} could not be decoded`, { cause });
}

/** A Lua reply table as an array. */
export function replyArray(value: unknown, what: string): unknown[] {
  return Array.isArray(value) ? value : corrupt(what);
}

/** A flat HGETALL-style reply as a map (empty array: empty map). */
export function replyHash(value: unknown, what: string): Map<string, string> {
  const flat = replyArray(value, what);
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const k = flat[i];
    const v = flat[i + 1];
    if (typeof k !== "string" || typeof v !== "string") corrupt(what);
    out.set(k, v);
  }
  return out;
}

/** A reply element as an integer (Redis integers and decimal strings). */
export function replyInt(value: unknown, what: string): number {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isSafeInteger(n) ? n : corrupt(what);
}

function field(h: Map<string, string>, name: string, what: string): string {
  const v = h.get(name);
  return v === undefined ? corrupt(`${what} (missing ${name})`) : v;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    return corrupt(what, error);
  }
}

function obj(value: unknown, what: string): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : corrupt(what);
}

function str(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  return typeof v === "string" ? v : corrupt(`${what} (${key})`);
}

function int(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  return typeof v === "number" && Number.isSafeInteger(v) ? v : corrupt(`${what} (${key})`);
}

function strings(value: unknown, what: string): string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : corrupt(what);
}

/** Bytes to base64 for JSON values. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function fromBase64(text: string): Uint8Array {
  const b = Buffer.from(text, "base64");
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Decode a worker hash. */
export function decodeWorker(h: Map<string, string>): WorkerInfo {
  const what = "worker registration";
  const num = (k: string) => replyInt(field(h, k, what), `${what} (${k})`);
  const lastSeenAt = num("lastSeenAt");
  const ttlMs = num("ttlMs");
  const load = Number(field(h, "load", what));
  if (!Number.isFinite(load)) corrupt(`${what} (load)`);
  return {
    id: field(h, "id", what),
    epoch: num("epoch"),
    locations: strings(parseJson(field(h, "locations", what), what), `${what} (locations)`),
    zone: field(h, "zone", what),
    capacity: num("capacity"),
    load,
    ttlMs,
    startedAt: num("startedAt"),
    lastSeenAt,
    expiresAt: lastSeenAt + ttlMs,
  };
}

/** A shard spec (without replicas) as stored in JSON. */
export function encodeShardFields(s: ShardSpec): string {
  return JSON.stringify({ id: s.id, index: s.index, rows: s.rows, bytes: s.bytes, digest: s.digest });
}

function decodeShardFields(text: string, what: string): Omit<ShardSpec, "replicas"> {
  const o = obj(parseJson(text, what), what);
  return {
    id: str(o, "id", what),
    index: int(o, "index", what),
    rows: int(o, "rows", what),
    bytes: int(o, "bytes", what),
    digest: str(o, "digest", what),
  };
}

/** A full shard spec (with replicas) as stored in an upload's shard hash. */
export function encodeShardSpec(s: ShardSpec): string {
  return JSON.stringify(s);
}

function decodeShardSpec(text: string, what: string): ShardSpec {
  const o = obj(parseJson(text, what), what);
  return { ...decodeShardFields(text, what), replicas: strings(o["replicas"], `${what} (replicas)`) };
}

/** Decode an upload hash and its shard hash. */
export function decodeUpload(id: string, h: Map<string, string>, shards: Map<string, string>): UploadInfo {
  const what = `upload ${id}`;
  return {
    id,
    dataset: field(h, "dataset", what),
    version: replyInt(field(h, "version", what), what),
    createdAt: replyInt(field(h, "createdAt", what), what),
    expiresAt: replyInt(field(h, "expiresAt", what), what),
    shards: [...shards.values()].map((s) => decodeShardSpec(s, `${what} shard`)),
  };
}

/** The `meta` JSON of a version hash. */
export function encodeVersionMeta(meta: VersionMeta): string {
  return JSON.stringify(meta);
}

function decodeMeta(text: string, what: string): VersionMeta {
  const o = obj(parseJson(text, what), what);
  return {
    name: str(o, "name", what),
    version: int(o, "version", what),
    schema: str(o, "schema", what),
    shardCount: int(o, "shardCount", what),
    totalRows: int(o, "totalRows", what),
    totalBytes: int(o, "totalBytes", what),
  };
}

function splitReplicas(text: string | undefined): string[] {
  return (text ?? "").split(" ").filter((r) => r.length > 0);
}

/** Decode a whole version hash (`meta`, `createdAt`, `s:*`, `r:*`). */
export function decodeVersion(h: Map<string, string>): DatasetVersion {
  const meta = decodeMeta(field(h, "meta", "dataset version"), "dataset version");
  const what = `dataset ${meta.name} version ${meta.version}`;
  const createdAt = replyInt(field(h, "createdAt", what), what);
  const shards: ShardInfo[] = [];
  for (const [k, v] of h) {
    if (!k.startsWith("s:")) continue;
    const { id, index, rows, bytes, digest } = decodeShardFields(v, `${what} shard`);
    const replicas = splitReplicas(h.get(`r:${id}`));
    shards.push({ id, index, rows, bytes, digest, replicas, dataset: meta.name, version: meta.version });
  }
  shards.sort((a, b) => a.index - b.index);
  if (shards.length !== meta.shardCount || shards.some((s, i) => s.index !== i)) corrupt(`${what} (shards)`);
  const { name, version, totalRows, totalBytes } = meta;
  return { name, version, schema: fromBase64(meta.schema), shards, totalRows, totalBytes, createdAt };
}

/** Decode the `meta` and `createdAt` of a version into a summary. */
export function decodeSummary(metaText: unknown, createdText: unknown): DatasetSummary {
  if (typeof metaText !== "string") corrupt("dataset summary");
  const meta = decodeMeta(metaText, "dataset summary");
  const { name, version, shardCount, totalRows, totalBytes } = meta;
  const createdAt = replyInt(createdText, `dataset ${name} createdAt`);
  return { name, version, schema: fromBase64(meta.schema), shardCount, totalRows, totalBytes, createdAt };
}

/** Decode a GET_SHARD reply `[meta, createdAt, shard JSON, replicas]`. */
export function decodeShard(reply: unknown[]): ShardInfo {
  const [metaText, , specText, replicas] = reply;
  if (typeof metaText !== "string" || typeof specText !== "string") corrupt("shard");
  const meta = decodeMeta(metaText, "shard's dataset version");
  const spec = decodeShardFields(specText, "shard");
  return {
    ...spec,
    dataset: meta.name,
    version: meta.version,
    replicas: splitReplicas(typeof replicas === "string" ? replicas : undefined),
  };
}

/** Announced shards as stored JSON (schemas in base64). */
export function encodeAnnounced(shards: readonly AnnouncedShard[]): string {
  return JSON.stringify(shards.map((s) => ({ ...s, schema: toBase64(s.schema) })));
}

/** Decode an announcement hash. */
export function decodeAnnouncement(workerId: string, h: Map<string, string>): WorkerAnnouncement {
  const what = `announcement of ${workerId}`;
  const list = parseJson(field(h, "shards", what), what);
  if (!Array.isArray(list)) corrupt(what);
  const shards = list.map((item: unknown): AnnouncedShard => {
    const o = obj(item, what);
    const s: AnnouncedShard = {
      dataset: str(o, "dataset", what),
      version: int(o, "version", what),
      shardId: str(o, "shardId", what),
      index: int(o, "index", what),
      shardCount: int(o, "shardCount", what),
      rows: int(o, "rows", what),
      bytes: int(o, "bytes", what),
      digest: str(o, "digest", what),
      schema: fromBase64(str(o, "schema", what)),
    };
    return o["createdAt"] === undefined ? s : { ...s, createdAt: int(o, "createdAt", what) };
  });
  return {
    workerId,
    epoch: replyInt(field(h, "epoch", what), what),
    announcedAt: replyInt(field(h, "announcedAt", what), what),
    shards,
  };
}

/** Decode a ticket payload JSON. */
export function decodeTicketPayload(text: string): TicketPayload {
  const what = "ticket";
  const o = obj(parseJson(text, what), what);
  const p: { -readonly [K in keyof TicketPayload]: TicketPayload[K] } = {
    dataset: str(o, "dataset", what),
    version: int(o, "version", what),
    shardId: str(o, "shardId", what),
  };
  if (o["columns"] !== undefined) p.columns = strings(o["columns"], `${what} (columns)`);
  if (o["principal"] !== undefined) p.principal = str(o, "principal", what);
  return p;
}
