// Unit tests of the interop comparer itself: a comparer that cannot fail would make
// every interop assertion vacuous.
import {
  type DataType,
  Field,
  Int32,
  List,
  makeData,
  makeVector,
  Table,
  TimestampNanosecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { columnProfile, plainValue, tableDifferences } from "./arrow-compare.js";

function timestamps(values: bigint[], timezone?: string): Table {
  const type = new TimestampNanosecond(timezone);
  const data = makeData({ type, length: values.length, data: BigInt64Array.from(values) });
  return new Table({ t: makeVector(data) });
}

function tableOf(columns: Record<string, unknown[]>, types: Record<string, DataType>): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, values] of Object.entries(columns)) {
    const type = types[name];
    if (type === undefined) throw new Error(`no type for ${name}`);
    vectors[name] = vectorFromArray(values, type);
  }
  return new Table(vectors);
}

describe("tableDifferences", () => {
  const listType = new List(new Field("item", new Int32(), true));
  const base = {
    i: [1, null, 3],
    s: ["a", "b", null],
    l: [[1, 2], null, [3, null]],
  };
  const types = { i: new Int32(), s: new Utf8(), l: listType };

  it("finds no difference between equal tables", () => {
    expect(tableDifferences(tableOf(base, types), tableOf(base, types))).toEqual([]);
  });

  it("names the column and row of a changed, nulled or nested value", () => {
    const changed = tableOf({ ...base, i: [1, null, 4], s: ["a", null, null], l: [[1, 2], null, [3, 5]] }, types);
    const diffs = tableDifferences(changed, tableOf(base, types));
    expect(diffs).toEqual([
      expect.stringMatching(/^column i row 2: /),
      "column s nullCount: got 2, expected 1",
      expect.stringMatching(/^column s row 1: /),
      expect.stringMatching(/^column l row 2: /),
    ]);
  });

  it("catches a nanosecond difference that apache-arrow's get() rounds away", () => {
    const a = timestamps([1_700_000_000_123_456_789n]);
    const b = timestamps([1_700_000_000_123_456_788n]);
    // get() returns milliseconds as a float: the two values look the same...
    expect(plainValue(a.getChildAt(0)?.get(0))).toEqual(plainValue(b.getChildAt(0)?.get(0)));
    // ...but the raw words differ, and the comparer reports it.
    expect(tableDifferences(a, b)).toEqual([expect.stringMatching(/^column t row 0: .*123456789.*123456788/)]);
  });

  it("reports schema differences (time zone) before values", () => {
    const diffs = tableDifferences(timestamps([1n], "UTC"), timestamps([1n]));
    expect(diffs[0]).toMatch(/^field t: .*UTC/);
  });

  it("profiles columns: null counts and presence of values", () => {
    expect(columnProfile(tableOf(base, types))).toEqual({
      i: { nulls: 1, hasValues: true },
      s: { nulls: 1, hasValues: true },
      l: { nulls: 1, hasValues: true },
    });
  });
});
