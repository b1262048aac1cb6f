/**
 * The benchmark's dataset, generated deterministically: four Int64 columns (`id`, a row
 * counter across the whole dataset, and three pseudo-random columns), no nulls, in record
 * batches of 32,768 rows = exactly 1 MiB of Arrow body each. A shard of `k` MiB is `k`
 * batches, so the planner's cutting rule (a batch that would take a shard past the target
 * starts the next one) keeps shard boundaries exactly where the harness puts them.
 */
import { type RecordBatch, type Schema, tableFromArrays } from "apache-arrow";

/** Rows per batch: 4 columns x 8 bytes x 32,768 rows = 1 MiB of body. */
export const BATCH_ROWS = 32_768;
/** Arrow body bytes of one batch. */
export const BATCH_BODY_BYTES = 4 * 8 * BATCH_ROWS;

/** xorshift32 step (deterministic across runs and machines). */
function xorshift32(state: number): number {
  let x = state;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

/**
 * One batch: rows `first .. first + BATCH_ROWS - 1` of the dataset.
 * @param first the `id` of the batch's first row (below 2^31).
 */
export function benchBatch(first: number): RecordBatch {
  const id = new BigInt64Array(BATCH_ROWS);
  const a = new BigInt64Array(BATCH_ROWS);
  const b = new BigInt64Array(BATCH_ROWS);
  const c = new BigInt64Array(BATCH_ROWS);
  // Little-endian 32-bit halves of each 64-bit value, written without BigInt arithmetic.
  const idHalves = new Uint32Array(id.buffer);
  const aHalves = new Uint32Array(a.buffer);
  const bHalves = new Uint32Array(b.buffer);
  const cHalves = new Uint32Array(c.buffer);
  let state = (Math.imul(first, 0x9e3779b1) ^ 0x2545f491) >>> 0 || 1;
  for (let i = 0; i < BATCH_ROWS; i++) {
    idHalves[2 * i] = first + i;
    state = xorshift32(state);
    aHalves[2 * i] = state;
    state = xorshift32(state);
    aHalves[2 * i + 1] = state;
    bHalves[2 * i] = state ^ 0x5bd1e995;
    bHalves[2 * i + 1] = state >>> 3;
    cHalves[2 * i] = i % 1000;
  }
  const batch = tableFromArrays({ id, a, b, c }).batches[0];
  if (batch === undefined) throw new Error("tableFromArrays produced no batch");
  return batch;
}

/** The schema of every batch. */
export function benchSchema(): Schema {
  return benchBatch(0).schema;
}

/**
 * The batches of shard `index` of a dataset whose shards are `shardMiB` MiB each
 * (`shardMiB` batches; ids continue across shards).
 */
export function shardBatches(index: number, shardMiB: number): RecordBatch[] {
  const batches: RecordBatch[] = [];
  for (let k = 0; k < shardMiB; k++) batches.push(benchBatch((index * shardMiB + k) * BATCH_ROWS));
  return batches;
}
