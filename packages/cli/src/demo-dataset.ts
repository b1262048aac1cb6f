/**
 * The demo dataset `flight-cluster up` loads: a deterministic sales table.
 *
 * Columns are built straight into Arrow buffers (typed arrays for numbers, offsets +
 * bytes for strings) without apache-arrow Builders, which are ~20x slower on Utf8
 * (docs: DESIGN.md §3). Every value is a pure function of the row number and the seed,
 * so the same rows come out on every machine and any slice can be regenerated alone.
 */
import {
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
} from "apache-arrow";

/** Name under which `up` loads the demo dataset. */
export const DEMO_DATASET_NAME = "demo/sales";

/** Rows `up` loads by default. */
export const DEMO_DEFAULT_ROWS = 1_000_000;

/** The demo table's schema: id, ts (UTC ms), region, product, quantity, unit_price, amount. */
export const DEMO_SCHEMA = new Schema([
  new Field("id", new Int64(), false),
  new Field("ts", new TimestampMillisecond("UTC"), false),
  new Field("region", new Utf8(), false),
  new Field("product", new Utf8(), false),
  new Field("quantity", new Int32(), false),
  new Field("unit_price", new Float64(), false),
  new Field("amount", new Float64(), false),
]);

const REGIONS = ["north", "south", "east", "west", "central", "online"].map((r) => new TextEncoder().encode(r));
const PRODUCT_COUNT = 500;
const PRODUCTS = Array.from({ length: PRODUCT_COUNT }, (_, i) =>
  new TextEncoder().encode(`product-${String(i).padStart(4, "0")}`),
);
/** 2026-01-01T00:00:00Z in ms. */
const EPOCH_MS = Date.UTC(2026, 0, 1);

/** A 32-bit mix of (row, seed, lane): the same inputs give the same value everywhere. */
function mix(row: number, seed: number, lane: number): number {
  let h = Math.imul(row ^ Math.imul(seed, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(lane + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

function utf8Column(values: readonly Uint8Array[], picks: Uint16Array) {
  const offsets = new Int32Array(picks.length + 1);
  let total = 0;
  for (let i = 0; i < picks.length; i++) {
    total += values[picks[i] ?? 0]?.length ?? 0;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < picks.length; i++) bytes.set(values[picks[i] ?? 0] ?? new Uint8Array(0), offsets[i] ?? 0);
  return makeData({ type: new Utf8(), length: picks.length, nullCount: 0, valueOffsets: offsets, data: bytes });
}

/**
 * Build rows `[start, start + count)` of the demo table as one record batch.
 * @param start first row number (>= 0, integer).
 * @param count rows in the batch (>= 0, integer).
 * @param seed selects another deterministic table (default 1).
 */
export function demoSalesBatch(start: number, count: number, seed = 1): RecordBatch {
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`demoSalesBatch: start and count must be non-negative integers, got ${start}, ${count}`);
  }
  const ids = new BigInt64Array(count);
  const ts = new BigInt64Array(count);
  const region = new Uint16Array(count);
  const product = new Uint16Array(count);
  const quantity = new Int32Array(count);
  const price = new Float64Array(count);
  const amount = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const row = start + i;
    ids[i] = BigInt(row);
    // About one sale every 30 s on average, with jitter, in increasing time order.
    ts[i] = BigInt(EPOCH_MS + row * 30_000 + (mix(row, seed, 0) % 30_000));
    region[i] = mix(row, seed, 1) % REGIONS.length;
    const p = mix(row, seed, 2) % PRODUCT_COUNT;
    product[i] = p;
    const q = 1 + (mix(row, seed, 3) % 20);
    quantity[i] = q;
    // Prices in cents, fixed per product, so amount = quantity * unit_price exactly.
    const cents = 199 + ((p * 7919) % 49_800);
    price[i] = cents / 100;
    amount[i] = (q * cents) / 100;
  }
  const fields = DEMO_SCHEMA.fields;
  const children = [
    makeData({ type: fields[0]!.type as Int64, length: count, nullCount: 0, data: ids }),
    makeData({ type: fields[1]!.type as TimestampMillisecond, length: count, nullCount: 0, data: ts }),
    utf8Column(REGIONS, region),
    utf8Column(PRODUCTS, product),
    makeData({ type: fields[4]!.type as Int32, length: count, nullCount: 0, data: quantity }),
    makeData({ type: fields[5]!.type as Float64, length: count, nullCount: 0, data: price }),
    makeData({ type: fields[6]!.type as Float64, length: count, nullCount: 0, data: amount }),
  ];
  return new RecordBatch(DEMO_SCHEMA, makeData({ type: new Struct(fields), length: count, nullCount: 0, children }));
}

/**
 * The demo table as batches of `batchRows` rows (default 65,536), generated lazily.
 * @param rows total rows (>= 0).
 */
export function* demoSalesBatches(rows: number, batchRows = 65_536, seed = 1): Generator<RecordBatch> {
  if (!Number.isSafeInteger(batchRows) || batchRows <= 0) throw new RangeError("batchRows must be a positive integer");
  for (let start = 0; start < rows; start += batchRows) {
    yield demoSalesBatch(start, Math.min(batchRows, rows - start), seed);
  }
}
