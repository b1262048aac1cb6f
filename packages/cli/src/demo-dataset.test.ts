import { describe, expect, it } from "vitest";
import { DEMO_SCHEMA, demoSalesBatch, demoSalesBatches } from "./demo-dataset.js";

describe("demo dataset", () => {
  it("is a pure function of the row number: any slice regenerates identically", () => {
    const whole = demoSalesBatch(0, 1000);
    const part = demoSalesBatch(400, 50);
    for (const field of DEMO_SCHEMA.fields) {
      const a = whole.getChild(field.name)?.slice(400, 450).toArray();
      const b = part.getChild(field.name)?.toArray();
      expect(Array.from(b as ArrayLike<unknown>)).toEqual(Array.from(a as ArrayLike<unknown>));
    }
  });

  it("has consistent values: amount = quantity * unit_price, ids ascending, known regions", () => {
    const batch = demoSalesBatch(0, 5000);
    const quantity = batch.getChild("quantity")?.toArray() as Int32Array;
    const price = batch.getChild("unit_price")?.toArray() as Float64Array;
    const amount = batch.getChild("amount")?.toArray() as Float64Array;
    for (let i = 0; i < batch.numRows; i++) {
      expect(amount[i]).toBeCloseTo((quantity[i] ?? 0) * (price[i] ?? 0), 6);
      expect(quantity[i]).toBeGreaterThanOrEqual(1);
    }
    expect(batch.getChild("id")?.get(4999)).toBe(4999n);
    const regions = new Set(Array.from({ length: 5000 }, (_, i) => batch.getChild("region")?.get(i)));
    expect([...regions].sort()).toEqual(["central", "east", "north", "online", "south", "west"]);
    expect(batch.getChild("product")?.get(0)).toMatch(/^product-\d{4}$/);
  });

  it("splits into batches covering every row once", () => {
    const sizes = [...demoSalesBatches(100_001, 30_000)].map((b) => b.numRows);
    expect(sizes).toEqual([30_000, 30_000, 30_000, 10_001]);
    expect(() => demoSalesBatch(-1, 1)).toThrow(RangeError);
  });
});
