import { describe, expect, it } from "vitest";
import { median, type RunFacts, ratio, renderMarkdown, type ScenarioResult, summarize } from "./doput-report.js";
import type { PutPass } from "./put-events.js";

const MiB = 1024 * 1024;
const pass = (seconds: number, cpuSeconds: number, serverCpuSeconds: number): PutPass => ({
  seconds,
  cpuSeconds,
  server: { bodyBytes: 512 * MiB, messages: 513, seconds: seconds * 0.9, cpuSeconds: serverCpuSeconds },
});
const spec = (id: string, windowBytes: number | null) =>
  ({ id, client: "ours", server: "ours", windowBytes, label: id }) as const;

describe("DoPut report", () => {
  it("median of odd and even lists; empty throws", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it("summarizes MiB/s and CPU per GiB from the passes", () => {
    const figures = summarize([pass(1, 1, 0.5), pass(2, 1, 0.5), pass(4, 2, 1)], 512 * MiB);
    expect(figures.medianMiBps).toBe(256);
    expect(figures.minMiBps).toBe(128);
    expect(figures.maxMiBps).toBe(512);
    expect(figures.clientCpuSecondsPerGiB).toBe(2);
    expect(figures.serverCpuSecondsPerGiB).toBe(1);
    expect(figures.passes).toBe(3);
    expect(() => summarize([], 1)).toThrow(RangeError);
    expect(() => summarize([pass(0, 1, 1)], 1)).toThrow(RangeError);
  });

  it("ratios of medians, null when a side failed; the Markdown lists every scenario and failure", () => {
    const ok = (id: string, seconds: number, windowBytes: number | null): ScenarioResult => ({
      spec: spec(id, windowBytes),
      status: "ok",
      figures: summarize([pass(seconds, 1, 1)], 512 * MiB),
      passes: [pass(seconds, 1, 1)],
      loadAverages: [3.25],
    });
    const failed: ScenarioResult = {
      spec: spec("c", null),
      status: "failed",
      error: "c client exited with status 1\nstderr",
      passes: [],
      loadAverages: [],
    };
    const results = [ok("a", 2, 65_535), ok("b", 1, 16 * MiB), failed];
    const r = ratio(results, "window", "b", "a");
    expect(r.value).toBe(2);
    expect(ratio(results, "x", "c", "a").value).toBeNull();
    const facts: RunFacts = {
      date: "2026-01-01",
      machine: "m",
      software: "s",
      command: "pnpm bench:doput",
      bodyBytes: 512 * MiB,
      rows: 16 * MiB,
      batches: 512,
      batchRows: 32_768,
      rounds: 1,
      warmup: 1,
      passes: 1,
    };
    const md = renderMarkdown(facts, results, [r]);
    expect(md).toContain("| a | ours -> ours | 65535 B (HTTP/2 default) | **256** (256 - 256) |");
    expect(md).toContain("| b | ours -> ours | 16 MiB | **512** (512 - 512) |");
    expect(md).toContain("| c | ours -> ours | gRPC C++ (its own) | failed |");
    expect(md).toContain("| window (b / a) | 2.00 |");
    expect(md).toContain("- c: c client exited with status 1");
  });
});
