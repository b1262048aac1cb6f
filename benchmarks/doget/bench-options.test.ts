import { describe, expect, it } from "vitest";
import { parseBenchOptions } from "./bench-options.js";

const defaults = { python: "/py", workDir: "/work", outDir: "/out" };

describe("parseBenchOptions", () => {
  it("defaults to 1 GiB tables, 5 passes, every table and scenario", () => {
    const options = parseBenchOptions([], defaults);
    expect(options).toMatchObject({
      quick: false,
      targetBytes: 1024 * 1024 * 1024,
      batchRows: 65536,
      passes: 5,
      warmup: 1,
      tables: ["fixed", "strings"],
      scenarios: ["b", "c", "a", "a2"],
      python: "/py",
      resultName: "doget",
    });
  });

  it("--quick uses smaller tables, fewer passes and separate result files", () => {
    expect(parseBenchOptions(["--quick"], defaults)).toMatchObject({
      quick: true,
      targetBytes: 128 * 1024 * 1024,
      passes: 3,
      resultName: "doget-quick",
    });
  });

  it("keeps the canonical scenario order whatever order is given", () => {
    expect(parseBenchOptions(["--scenarios", "a,c"], defaults)).toMatchObject({ scenarios: ["c", "a"] });
  });

  it("rejects bad values, naming the option", () => {
    expect(() => parseBenchOptions(["--passes", "0"], defaults)).toThrow(/--passes/);
    expect(() => parseBenchOptions(["--passes", "x"], defaults)).toThrow(/--passes/);
    expect(() => parseBenchOptions(["--size-mib", "-1"], defaults)).toThrow(/--size-mib/);
    expect(() => parseBenchOptions(["--tables", "fixed,nope"], defaults)).toThrow(/--tables: unknown nope/);
    expect(() => parseBenchOptions(["--frobnicate"], defaults)).toThrow(/frobnicate/);
  });

  it("returns help for --help", () => {
    expect(parseBenchOptions(["--help"], defaults)).toBe("help");
  });
});
