/** The benchmark's table: four fixed-width columns built straight into Arrow buffers (no Builders). */
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct } from "apache-arrow";

/** id, a, b, c: 32 bytes of Arrow body per row. */
export const BENCH_SCHEMA = new Schema([
  new Field("id", new Int64(), false),
  new Field("a", new Float64(), false),
  new Field("b", new Int64(), false),
  new Field("c", new Float64(), false),
]);

/** Bytes of Arrow body per row. */
export const BENCH_ROW_BYTES = 32;

/** One batch of rows `[start, start + rows)`; values are functions of the row number. */
export function benchBatch(start: number, rows: number): RecordBatch {
  const id = new BigInt64Array(rows);
  const a = new Float64Array(rows);
  const b = new BigInt64Array(rows);
  const c = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = start + i;
    id[i] = BigInt(row);
    a[i] = row * 0.5;
    b[i] = BigInt((row * 2654435761) % 1_000_003);
    c[i] = Math.sin(row);
  }
  const children = [
    makeData({ type: new Int64(), length: rows, nullCount: 0, data: id }),
    makeData({ type: new Float64(), length: rows, nullCount: 0, data: a }),
    makeData({ type: new Int64(), length: rows, nullCount: 0, data: b }),
    makeData({ type: new Float64(), length: rows, nullCount: 0, data: c }),
  ];
  return new RecordBatch(
    BENCH_SCHEMA,
    makeData({ type: new Struct(BENCH_SCHEMA.fields), length: rows, nullCount: 0, children }),
  );
}

/** About `totalBytes` of Arrow body in batches of `batchRows` rows. */
export function benchBatches(totalBytes: number, batchRows = 65_536): RecordBatch[] {
  const rows = Math.max(1, Math.floor(totalBytes / BENCH_ROW_BYTES));
  const out: RecordBatch[] = [];
  for (let start = 0; start < rows; start += batchRows) out.push(benchBatch(start, Math.min(batchRows, rows - start)));
  return out;
}
