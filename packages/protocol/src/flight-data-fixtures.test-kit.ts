/**
 * Test fixture for the wire layer: a record batch with a column of every type
 * apache-arrow supports (with nulls).
 */

import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  DateMillisecond,
  Decimal,
  DenseUnion,
  Dictionary,
  DurationMicrosecond,
  DurationMillisecond,
  DurationNanosecond,
  DurationSecond,
  Field,
  FixedSizeBinary,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  IntervalDayTime,
  IntervalMonthDayNano,
  IntervalYearMonth,
  LargeBinary,
  LargeList,
  LargeUtf8,
  List,
  Map_,
  makeData,
  Null,
  RecordBatch,
  Schema,
  SparseUnion,
  Struct,
  TimeMicrosecond,
  TimeMillisecond,
  TimeNanosecond,
  TimeSecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { bitmap } from "./flight-data-helpers.test-kit.js";

const encoder = new TextEncoder();

/** Offsets and concatenated UTF-8 bytes of `values` (null entries are empty). */
function utf8Parts(values: readonly (string | null)[]): { offsets: Int32Array; data: Uint8Array } {
  const chunks = values.map((v) => encoder.encode(v ?? ""));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < chunks.length; i++) offsets[i + 1] = offsets[i]! + chunks[i]!.length;
  const data = new Uint8Array(offsets[values.length]!);
  chunks.forEach((c, i) => {
    data.set(c, offsets[i]!);
  });
  return { offsets, data };
}

type AnyData = Data<DataType>;

function fixed(type: DataType, length: number, data: ArrayBufferView, nulls: Uint8Array): AnyData {
  return makeData({ type, length, nullBitmap: nulls, data } as Parameters<typeof makeData>[0]) as AnyData;
}

/**
 * A record batch of `length` rows (>= 1) with one column of every type apache-arrow can
 * encode, nulls on every third row (row 1, 4, 7, ...), plus an all-null column and a Null
 * column. Values are deterministic.
 */
export function allTypesBatch(length = 7): RecordBatch {
  const isNull = (i: number) => i % 3 === 1;
  const nulls = bitmap(length, isNull);
  const n = length;
  const range = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
  const strings = range((i) => (isNull(i) ? null : ["", "a", "βγ", "hello world", "z"][i % 5]!));
  const s = utf8Parts(strings);
  const columns: [string, AnyData][] = [];
  const add = (name: string, data: AnyData) => columns.push([name, data]);

  add("int8", fixed(new Int8(), n, Int8Array.from(range((i) => ((i * 37) % 256) - 128)), nulls));
  add("int16", fixed(new Int16(), n, Int16Array.from(range((i) => i * -1000)), nulls));
  add("int32", fixed(new Int32(), n, Int32Array.from(range((i) => i * 100_000 - 7)), nulls));
  add("int64", fixed(new Int64(), n, BigInt64Array.from(range((i) => BigInt(i) * -(2n ** 40n) + 3n)), nulls));
  add("uint8", fixed(new Uint8(), n, Uint8Array.from(range((i) => (i * 41) % 256)), nulls));
  add("uint16", fixed(new Uint16(), n, Uint16Array.from(range((i) => (i * 9000) % 65536)), nulls));
  add("uint32", fixed(new Uint32(), n, Uint32Array.from(range((i) => (i * 2 ** 29) % 2 ** 32)), nulls));
  add("uint64", fixed(new Uint64(), n, BigUint64Array.from(range((i) => BigInt(i) * 2n ** 62n + 1n)), nulls));
  add(
    "float16",
    fixed(new Float16(), n, Uint16Array.from(range((i) => [0x3c00, 0xc000, 0x3555, 0x7bff][i % 4]!)), nulls),
  );
  add("float32", fixed(new Float32(), n, Float32Array.from(range((i) => i * 0.5 - 1)), nulls));
  add("float64", fixed(new Float64(), n, Float64Array.from(range((i) => i * Math.PI)), nulls));
  const decimals = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++)
    decimals.set(i % 2 === 0 ? [i * 12345, 0, 0, 0] : [0xffffffff - i, ~0 >>> 0, ~0 >>> 0, ~0 >>> 0], 4 * i);
  add("decimal128", fixed(new Decimal(2, 20, 128), n, decimals, nulls));
  add(
    "bool",
    fixed(
      new Bool(),
      n,
      bitmap(n, (i) => i % 2 === 0),
      nulls,
    ),
  );
  add(
    "utf8",
    makeData({ type: new Utf8(), length: n, nullBitmap: nulls, valueOffsets: s.offsets, data: s.data }) as AnyData,
  );
  add(
    "large_utf8",
    makeData({
      type: new LargeUtf8(),
      length: n,
      nullBitmap: nulls,
      valueOffsets: BigInt64Array.from(s.offsets, (v) => BigInt(v)),
      data: s.data,
    }) as AnyData,
  );
  add(
    "binary",
    makeData({ type: new Binary(), length: n, nullBitmap: nulls, valueOffsets: s.offsets, data: s.data }) as AnyData,
  );
  add(
    "large_binary",
    makeData({
      type: new LargeBinary(),
      length: n,
      nullBitmap: nulls,
      valueOffsets: BigInt64Array.from(s.offsets, (v) => BigInt(v)),
      data: s.data,
    }) as AnyData,
  );
  add(
    "fixed_size_binary",
    fixed(
      new FixedSizeBinary(3),
      n,
      Uint8Array.from({ length: 3 * n }, (_, i) => i * 7),
      nulls,
    ),
  );
  add("date32", fixed(new DateDay(), n, Int32Array.from(range((i) => 19000 + i)), nulls));
  add(
    "date64",
    fixed(new DateMillisecond(), n, BigInt64Array.from(range((i) => BigInt(19000 + i) * 86_400_000n)), nulls),
  );
  add("time32_s", fixed(new TimeSecond(), n, Int32Array.from(range((i) => (i % 24) * 3600)), nulls));
  add("time32_ms", fixed(new TimeMillisecond(), n, Int32Array.from(range((i) => (i % 24) * 3_600_000)), nulls));
  add(
    "time64_us",
    fixed(new TimeMicrosecond(), n, BigInt64Array.from(range((i) => BigInt(i % 24) * 3_600_000_000n)), nulls),
  );
  add(
    "time64_ns",
    fixed(new TimeNanosecond(), n, BigInt64Array.from(range((i) => BigInt(i % 24) * 3_600_000_000_001n)), nulls),
  );
  const stamps = BigInt64Array.from(range((i) => 1_700_000_000n + BigInt(i) * 86_400n));
  add("ts_s", fixed(new TimestampSecond(), n, stamps, nulls));
  add(
    "ts_ms_utc",
    fixed(
      new TimestampMillisecond("UTC"),
      n,
      stamps.map((v) => v * 1000n),
      nulls,
    ),
  );
  add(
    "ts_us_paris",
    fixed(
      new TimestampMicrosecond("Europe/Paris"),
      n,
      stamps.map((v) => v * 1_000_000n),
      nulls,
    ),
  );
  add(
    "ts_ns",
    fixed(
      new TimestampNanosecond(),
      n,
      stamps.map((v) => v * 1_000_000_000n),
      nulls,
    ),
  );
  add("duration_s", fixed(new DurationSecond(), n, BigInt64Array.from(range((i) => BigInt(i - 3))), nulls));
  add("duration_ms", fixed(new DurationMillisecond(), n, BigInt64Array.from(range((i) => BigInt(i * 1000))), nulls));
  add(
    "duration_us",
    fixed(new DurationMicrosecond(), n, BigInt64Array.from(range((i) => BigInt(i) * 10n ** 6n)), nulls),
  );
  add(
    "duration_ns",
    fixed(new DurationNanosecond(), n, BigInt64Array.from(range((i) => BigInt(i) * 10n ** 9n)), nulls),
  );
  add("interval_ym", fixed(new IntervalYearMonth(), n, Int32Array.from(range((i) => i * 13 - 5)), nulls));
  add(
    "interval_dt",
    fixed(
      new IntervalDayTime(),
      n,
      Int32Array.from({ length: 2 * n }, (_, i) => i * 1000 - 3),
      nulls,
    ),
  );
  add(
    "interval_mdn",
    fixed(
      new IntervalMonthDayNano(),
      n,
      Int32Array.from({ length: 4 * n }, (_, i) => (i % 4 === 3 ? 0 : i * 11)),
      nulls,
    ),
  );

  // list<int32>: row i has i % 4 items.
  const listOffsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) listOffsets[i + 1] = listOffsets[i]! + (isNull(i) ? 0 : i % 4);
  const listValues = makeData({
    type: new Int32(),
    length: listOffsets[n]!,
    data: Int32Array.from({ length: listOffsets[n]! }, (_, i) => i * 3),
    nullBitmap: bitmap(listOffsets[n]!, (i) => i % 5 === 2),
  });
  const listField = new Field("item", new Int32(), true);
  add(
    "list",
    makeData({
      type: new List(listField),
      length: n,
      nullBitmap: nulls,
      valueOffsets: listOffsets,
      child: listValues,
    }) as AnyData,
  );
  const largeChildStrings = Array.from({ length: listOffsets[n]! }, (_, i) => `s${i}`);
  const lc = utf8Parts(largeChildStrings);
  add(
    "large_list",
    makeData({
      type: new LargeList(new Field("item", new Utf8(), true)),
      length: n,
      nullBitmap: nulls,
      valueOffsets: BigInt64Array.from(listOffsets, (v) => BigInt(v)),
      child: makeData({ type: new Utf8(), length: largeChildStrings.length, valueOffsets: lc.offsets, data: lc.data }),
    }) as AnyData,
  );
  add(
    "fixed_size_list",
    makeData({
      type: new FixedSizeList(2, new Field("item", new Float64(), true)),
      length: n,
      nullBitmap: nulls,
      child: makeData({
        type: new Float64(),
        length: 2 * n,
        data: Float64Array.from({ length: 2 * n }, (_, i) => i / 4),
      }),
    }) as AnyData,
  );
  const structType = new Struct([new Field("a", new Int32(), true), new Field("b", new Utf8(), true)]);
  add(
    "struct",
    makeData({
      type: structType,
      length: n,
      nullBitmap: nulls,
      children: [
        makeData({ type: new Int32(), length: n, data: Int32Array.from(range((i) => -i)) }),
        makeData({ type: new Utf8(), length: n, nullBitmap: nulls, valueOffsets: s.offsets, data: s.data }),
      ],
    }) as AnyData,
  );
  const entryCount = listOffsets[n]!;
  const keys = utf8Parts(Array.from({ length: entryCount }, (_, i) => `k${i}`));
  const entries = new Struct([new Field("key", new Utf8(), false), new Field("value", new Int32(), true)]);
  add(
    "map",
    makeData({
      type: new Map_(new Field("entries", entries, false)),
      length: n,
      nullBitmap: nulls,
      valueOffsets: listOffsets,
      child: makeData({
        type: entries,
        length: entryCount,
        children: [
          makeData({ type: new Utf8(), length: entryCount, valueOffsets: keys.offsets, data: keys.data }),
          makeData({
            type: new Int32(),
            length: entryCount,
            data: Int32Array.from({ length: entryCount }, (_, i) => i * i),
          }),
        ],
      }),
    }) as AnyData,
  );
  // Dense union <int32 (type id 5), utf8 (type id 7)>: even rows int32, odd rows utf8.
  const denseIds = Int8Array.from(range((i) => (i % 2 === 0 ? 5 : 7)));
  const denseOffsets = Int32Array.from(range((i) => Math.floor(i / 2)));
  const denseInts = Math.ceil(n / 2);
  const denseStrings = utf8Parts(Array.from({ length: Math.floor(n / 2) }, (_, i) => `u${i}`));
  add(
    "dense_union",
    makeData({
      type: new DenseUnion([5, 7], [new Field("i", new Int32(), true), new Field("s", new Utf8(), true)]),
      length: n,
      typeIds: denseIds,
      valueOffsets: denseOffsets,
      children: [
        makeData({
          type: new Int32(),
          length: denseInts,
          data: Int32Array.from({ length: denseInts }, (_, i) => i * 10),
        }),
        makeData({
          type: new Utf8(),
          length: Math.floor(n / 2),
          valueOffsets: denseStrings.offsets,
          data: denseStrings.data,
        }),
      ],
    }) as AnyData,
  );
  add(
    "sparse_union",
    makeData({
      type: new SparseUnion([0, 1], [new Field("f", new Float64(), true), new Field("b", new Bool(), true)]),
      length: n,
      typeIds: Int8Array.from(range((i) => (i % 3 === 0 ? 1 : 0))),
      children: [
        makeData({ type: new Float64(), length: n, data: Float64Array.from(range((i) => i + 0.25)) }),
        makeData({ type: new Bool(), length: n, data: bitmap(n, (i) => i % 2 === 1) }),
      ],
    }) as AnyData,
  );
  const dictionary = vectorFromArray(["red", "green", "blue"], new Utf8());
  add(
    "dictionary",
    makeData({
      type: new Dictionary(new Utf8(), new Int32(), 100),
      length: n,
      nullBitmap: nulls,
      data: Int32Array.from(range((i) => i % 3)),
      dictionary,
    }) as AnyData,
  );
  add(
    "dictionary_int8",
    makeData({
      type: new Dictionary(new Int64(), new Int8(), 101),
      length: n,
      data: Int8Array.from(range((i) => (i * 2) % 4)),
      dictionary: vectorFromArray([10n, -20n, 30n, 2n ** 60n], new Int64()),
    }) as AnyData,
  );
  add("all_null", fixed(new Int32(), n, new Int32Array(n), new Uint8Array(Math.ceil(n / 8))));
  add("null", makeData({ type: new Null(), length: n }) as AnyData);

  const schema = new Schema(
    columns.map(([name, data]) => new Field(name, data.type, true)),
    new Map([["origin", "flight-cluster tests"]]),
  );
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: n, children: columns.map(([, d]) => d) }),
  );
}
