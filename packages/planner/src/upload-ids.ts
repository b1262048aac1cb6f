/**
 * Shard ids of an upload: `<uploadId>.<index>`. Deterministic, so the planner stays
 * stateless: the DoPut path and the write-plan path (`plan_shards`, possibly called
 * several times) name and place the same shard identically. Upload ids are 32
 * base64url characters, which never contain `.`, so the id splits unambiguously.
 */

/** Most shards in one dataset version (the registry's limit). */
export const MAX_SHARDS_PER_UPLOAD = 100_000;

/** The id of shard `index` of upload `uploadId`. */
export function shardIdFor(uploadId: string, index: number): string {
  return `${uploadId}.${index}`;
}

/** The upload id and index encoded in a shard id, or undefined if it is not of that form. */
export function parseShardId(shardId: string): { readonly uploadId: string; readonly index: number } | undefined {
  const dot = shardId.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const index = Number(shardId.slice(dot + 1));
  if (!Number.isSafeInteger(index) || index < 0 || String(index) !== shardId.slice(dot + 1)) return undefined;
  return { uploadId: shardId.slice(0, dot), index };
}
