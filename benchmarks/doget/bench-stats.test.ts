import { describe, expect, it } from "vitest";
import { median, summarizePasses } from "./bench-stats.js";

describe("median", () => {
  it("takes the middle of an odd list regardless of order", () => {
    expect(median([5, 1, 3])).toBe(3);
  });
  it("averages the two middle values of an even list", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it("rejects an empty list", () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("summarizePasses", () => {
  const pass = (seconds: number) => ({ seconds, rows: 1000, batches: 1 });

  it("reports GB/s of the body bytes per pass, and the median, min and max", () => {
    const figures = summarizePasses([pass(2), pass(1), pass(4)], 4e9, 1000);
    expect(figures.medianGBps).toBe(2);
    expect(figures.minGBps).toBe(1);
    expect(figures.maxGBps).toBe(4);
    expect(figures.medianSeconds).toBe(2);
    expect(figures.medianRowsPerSecond).toBe(500);
    expect(figures.passSeconds).toEqual([2, 1, 4]);
  });

  it("rejects no passes and passes of zero duration", () => {
    expect(() => summarizePasses([], 1, 1)).toThrow(/no timed pass/);
    expect(() => summarizePasses([pass(0)], 1, 1)).toThrow(/no measurable time/);
  });
});
