// The fixture itself, independent of our Flight code: pyarrow writes it, apache-arrow's
// IPC file reader reads it, and it must contain what the interop tests claim to cover.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Type } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PINNED_PYARROW_VERSION, requirePyarrow } from "../kit/python.js";
import { columnProfile, describeType, readIpcFile } from "./arrow-compare.js";
import { type Fixture, type FixtureSummary, writeFixtures } from "./pyarrow-peers.js";

let dir: string;
let summary: Readonly<Record<Fixture, FixtureSummary>>;

beforeAll(async () => {
  const { pyarrowVersion } = await requirePyarrow();
  expect(pyarrowVersion).toBe(PINNED_PYARROW_VERSION);
  dir = await mkdtemp(join(tmpdir(), "flight-interop-fixtures-"));
  summary = await writeFixtures(dir);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("all-types fixture", () => {
  it("has the batches pyarrow reports, an empty one included", async () => {
    const file = await readIpcFile(join(dir, "all-types.arrow"));
    const allTypes = summary["all-types"];
    expect(allTypes?.batchRows).toEqual([11, 0, 16, 9]);
    expect(file.batches.map((b) => b.numRows)).toEqual(allTypes?.batchRows);
    expect(file.table.numRows).toBe(36);
    expect(file.table.schema.fields.map((f) => f.name)).toEqual(allTypes?.columns);
  });

  it("covers every type apache-arrow and pyarrow share", async () => {
    const { table } = await readIpcFile(join(dir, "all-types.arrow"));
    const types = new Set(table.schema.fields.map((f) => String(f.type)));
    for (const expected of [
      "Int8",
      "Int16",
      "Int32",
      "Int64",
      "Uint8",
      "Uint16",
      "Uint32",
      "Uint64",
      "Float16",
      "Float32",
      "Float64",
      "Decimal[38e+9]",
      "Decimal[70e+12]",
      "Bool",
      "Utf8",
      "LargeUtf8",
      "Binary",
      "LargeBinary",
      "FixedSizeBinary[5]",
      "Date32<DAY>",
      "Date64<MILLISECOND>",
      "Time32<SECOND>",
      "Time32<MILLISECOND>",
      "Time64<MICROSECOND>",
      "Time64<NANOSECOND>",
      "Timestamp<SECOND>",
      "Timestamp<SECOND, UTC>",
      "Timestamp<MILLISECOND>",
      "Timestamp<MILLISECOND, Europe/Paris>",
      "Timestamp<MICROSECOND>",
      "Timestamp<MICROSECOND, America/New_York>",
      "Timestamp<NANOSECOND>",
      "Timestamp<NANOSECOND, Asia/Kolkata>",
      "Duration<SECOND>",
      "Duration<MILLISECOND>",
      "Duration<MICROSECOND>",
      "Duration<NANOSECOND>",
      "Interval<MONTH_DAY_NANO>",
      "Interval<YEAR_MONTH>",
      "Interval<DAY_TIME>",
      "List<Int32>",
      "LargeList<Utf8>",
      "FixedSizeList[3]<Float64>",
      "Map<{key:Utf8, value:Int32}>",
      "Dictionary<Int32, Utf8>",
      "Dictionary<Int8, Utf8>",
      "Null",
    ]) {
      expect(types, `fixture lacks ${expected}`).toContain(expected);
    }
    const typeIds = table.schema.fields.map((f) => f.type.typeId);
    expect(typeIds).toContain(Type.Struct);
    const unions = table.schema.fields.filter((f) => f.type.typeId === Type.Union).map((f) => describeType(f.type));
    expect(unions).toEqual([expect.objectContaining({ mode: 1 }), expect.objectContaining({ mode: 0 })]);
  });

  it("sprinkles nulls in every nullable column, and has all-null columns", async () => {
    const { table } = await readIpcFile(join(dir, "all-types.arrow"));
    const profile = columnProfile(table);
    const allNull = ["null", "all_null_int64", "all_null_utf8", "all_null_list"];
    for (const [name, facts] of Object.entries(profile)) {
      if (allNull.includes(name)) {
        expect(facts, name).toEqual({ nulls: 36, hasValues: false });
      } else if (name === "id" || name.endsWith("_union")) {
        // id is NOT NULL; union nulls live in the children, not in the union itself.
        expect(facts.hasValues, name).toBe(true);
      } else {
        expect(facts.nulls, name).toBeGreaterThan(0);
        expect(facts.hasValues, name).toBe(true);
      }
    }
    expect(table.schema.fields.find((f) => f.name === "id")?.nullable).toBe(false);
    expect(Object.fromEntries(table.schema.metadata)).toEqual({ fixture: "all-types", batches: "11,0,16,9" });
  });

  it("has a separate views fixture (Utf8View, BinaryView), with values longer than 12 bytes", async () => {
    const { table, batches } = await readIpcFile(join(dir, "views.arrow"));
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(["Int32", "Utf8View", "BinaryView"]);
    expect(batches.map((b) => b.numRows)).toEqual([7, 5]);
    const lengths = Array.from(table.getChild("utf8_view") ?? [], (v) => (v === null ? 0 : String(v).length));
    expect(Math.max(...lengths)).toBeGreaterThan(12);
  });

  it("has a zero-row twin with the same schema and no batches", async () => {
    const zero = await readIpcFile(join(dir, "zero-rows.arrow"));
    const all = await readIpcFile(join(dir, "all-types.arrow"));
    expect(zero.batches).toHaveLength(0);
    expect(zero.table.numRows).toBe(0);
    expect(zero.table.schema.fields.map((f) => describeType(f.type))).toEqual(
      all.table.schema.fields.map((f) => describeType(f.type)),
    );
  });
});
