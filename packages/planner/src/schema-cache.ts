/**
 * Decoded dataset schemas, cached: GetFlightInfo on a hot dataset should not decode
 * the same IPC schema message on every call. Entries are keyed by dataset and version
 * and checked against the stored bytes, so a version number reused after the registry
 * lost its data can never serve a stale schema. Bounded (least recently used out).
 */
import { decodeSchema } from "@flight-cluster/protocol";
import type { Schema } from "apache-arrow";

/** A bounded cache of decoded schemas. */
export interface SchemaCache {
  /**
   * The decoded schema of `bytes` (the encapsulated IPC schema of `dataset` at `version`).
   * @throws FlightError INVALID_ARGUMENT when the bytes are not a schema message.
   */
  get(dataset: string, version: number, bytes: Uint8Array): Schema;
  /** Number of cached entries. */
  readonly size: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** A cache holding at most `capacity` schemas (default 256). */
export function createSchemaCache(capacity = 256): SchemaCache {
  const entries = new Map<string, { bytes: Uint8Array; schema: Schema }>();
  return {
    get(dataset, version, bytes) {
      const key = `${version}\u0000${dataset}`;
      const hit = entries.get(key);
      if (hit !== undefined && sameBytes(hit.bytes, bytes)) {
        entries.delete(key);
        entries.set(key, hit);
        return hit.schema;
      }
      const schema = decodeSchema(bytes);
      entries.delete(key);
      entries.set(key, { bytes: bytes.slice(), schema });
      while (entries.size > capacity) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      return schema;
    },
    get size() {
      return entries.size;
    },
  };
}
