import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { STREAMING_HEAP_GROWING_PERCENT, useStreamingHeapGrowth } from "./heap-growth.js";

const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const MODULE = fileURLToPath(new URL("./heap-growth.ts", import.meta.url));

/**
 * A child that churns through 2 GiB of 1 MiB Buffers (24 alive at a time) next to ~12 MB
 * of long-lived objects, as a Flight reader does, with `--trace-gc-verbose`: V8 prints the
 * factor behind each new old-generation limit as `[HeapController] Limit: ... (F)`.
 */
const churn = `
  const { useStreamingHeapGrowth } = await import(${JSON.stringify(MODULE)});
  if (process.env.TUNE === "1") useStreamingHeapGrowth();
  const keep = Array.from({ length: 120_000 }, (_, i) => ({ i, s: "k" + i, a: [i, i + 1] }));
  const queue = [];
  let sum = 0;
  for (let i = 0; i < 2048; i++) {
    const b = Buffer.allocUnsafe(1 << 20);
    b[0] = i & 255;
    queue.push(b);
    if (queue.length > 24) sum += queue.shift()[0];
    if (i % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  console.log("done", keep.length, sum);
`;

async function limitFactors(tune: boolean): Promise<number[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--trace-gc-verbose", "--import", `${REPO_ROOT}test/interop/ts-register.mjs`, "--input-type=module", "-e", churn],
    { cwd: REPO_ROOT, env: { ...process.env, TUNE: tune ? "1" : "0" }, maxBuffer: 64 * 1024 * 1024 },
  );
  expect(stdout).toContain("done 120000");
  return [...stdout.matchAll(/\[HeapController\] Limit: .*\((\d+(?:\.\d+)?)\)/g)].map((m) => Number(m[1]));
}

describe("useStreamingHeapGrowth", () => {
  it("fixes V8's growing factor at 4 for every full GC of a buffer-churning process", async () => {
    const factors = await limitFactors(true);
    expect(factors.length).toBeGreaterThanOrEqual(3);
    expect(new Set(factors)).toEqual(new Set([1 + STREAMING_HEAP_GROWING_PERCENT / 100]));
  });

  it("leaves a --heap-growing-percent given on the command line in force", () => {
    expect(useStreamingHeapGrowth(300, ["--heap-growing-percent=150"])).toBeUndefined();
    expect(useStreamingHeapGrowth(300, ["--heap-growing-percent", "150"])).toBeUndefined();
  });

  it("rejects a percent that is not an integer in 1..1000, naming it", () => {
    for (const bad of [0, -5, 1001, 2.5, Number.NaN]) {
      expect(() => useStreamingHeapGrowth(bad, [])).toThrow(
        `heap growing percent must be an integer in 1..1000, got ${bad}`,
      );
    }
  });
});
