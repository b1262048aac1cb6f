/**
 * The flight-cluster refinements the client understands on top of plain Flight
 * (docs/architecture.md): request headers, the resume acknowledgement, and the JSON
 * app_metadata of the planner's endpoints. Against other Flight services none of these
 * is required: unknown headers are ignored and foreign metadata is not interpreted.
 */

/** Request header naming the caller's zone (the planner lists same-zone replicas first). */
export const ZONE_HEADER = "x-flight-zone";

/**
 * Resume header. On a DoGet the client asks the server to skip this many record batches
 * (schema and dictionaries are still sent). A server that honours it answers with the same
 * header and value in its response headers; without that acknowledgement the client skips
 * the batches itself, so a server that ignores the header still yields no duplicates.
 */
export const SKIP_BATCHES_HEADER = "x-flight-cluster-skip-batches";

/** What the planner puts in an endpoint's app_metadata (JSON), as far as the client uses it. */
export interface ShardEndpointMetadata {
  readonly shard: string;
  readonly rows: number;
  readonly digest: string | undefined;
}

/**
 * The flight-cluster metadata of an endpoint (`{"shard", "rows", ...}`), or undefined
 * when the app_metadata is anything else (other services' metadata is opaque).
 */
export function shardMetadata(appMetadata: Uint8Array): ShardEndpointMetadata | undefined {
  if (appMetadata.byteLength === 0 || appMetadata.byteLength > 64 * 1024 || appMetadata[0] !== 0x7b) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(appMetadata));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const o = value as Record<string, unknown>;
  const shard = o["shard"];
  const rows = o["rows"];
  if (typeof shard !== "string" || typeof rows !== "number" || !Number.isSafeInteger(rows) || rows < 0) {
    return undefined;
  }
  const digest = o["digest"];
  return { shard, rows, digest: typeof digest === "string" ? digest : undefined };
}
