/**
 * Test helpers for the wire layer: a deterministic PRNG, validity bitmaps, value
 * normalization for value-by-value comparisons, and a helper that runs pyarrow.
 */

import { spawnSync } from "node:child_process";
import { type RecordBatch, Vector } from "apache-arrow";

/** Deterministic PRNG (mulberry32): returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Validity bitmap for `length` rows where `isNull(i)` marks nulls. */
export function bitmap(length: number, isNull: (i: number) => boolean): Uint8Array {
  const bits = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < length; i++) if (!isNull(i)) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

/** A comparable plain form of any value apache-arrow's `get` returns. */
export function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : value;
  if (typeof value !== "object") return value;
  if (value instanceof Vector) return [...value].map(normalize);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, normalize);
  if (value instanceof Map) return [...value].map(([k, v]) => [normalize(k), normalize(v)]);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === "function" && !(value instanceof Date)) {
    const plain = json.call(value);
    if (plain !== value) return normalize(plain);
  }
  if (value instanceof Date) return value.toISOString();
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, normalize(v)]));
}

/** Every column of `batch` as normalized values, keyed by field name. */
export function batchValues(batch: RecordBatch): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  batch.schema.fields.forEach((field, i) => {
    const column = batch.getChildAt(i)!;
    out[field.name] = Array.from({ length: batch.numRows }, (_, r) => normalize(column.get(r)));
  });
  return out;
}

/** The Python interpreter with pyarrow (env FLIGHT_CLUSTER_PYTHON, default the workspace venv). */
export const PYTHON =
  process.env["FLIGHT_CLUSTER_PYTHON"] ?? new URL("../../../.venv/bin/python", import.meta.url).pathname;

/**
 * Run a Python script with `input` on stdin; returns stdout. Bounded by a 120 s timeout.
 * @throws Error with stderr when the script fails.
 */
export function runPython(script: string, input: Uint8Array = new Uint8Array(0)): Buffer {
  const result = spawnSync(PYTHON, ["-c", script], { input, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`python exited with ${result.status}: ${result.stderr.toString()}`);
  return result.stdout;
}
