import { describe, expect, it } from "vitest";
import { niceAxis, renderClientChart } from "./client-chart.js";
import { latencyFloorSeconds, renderClientMarkdown } from "./client-report.js";
import { resultOf, runOf } from "./client-result.test-kit.js";

const runs = [
  runOf(0, { a: 0.1, "a-ordered": 0.12, b: 0.15, c: 0.2, d: 0.11 }),
  runOf(20, { a: 0.1, b: 0.5, c: 0.6, d: 0.2 }),
];

describe("client benchmark report", () => {
  it("writes the ratios, the targets and a table row per scenario", () => {
    const md = renderClientMarkdown(resultOf(runs));
    expect(md).toContain("| 20 ms | 8 x 8 MiB | 5.00 x | 6.00 x | 2.00 x | n/a |");
    expect(md).toContain("| 0 ms | 8 x 8 MiB | 1.50 x | 2.00 x | 1.10 x | 1.20 x |");
    // Every pass of a scenario took the same time here, so the fastest-pass table repeats the medians.
    expect(md.split("| 20 ms | 8 x 8 MiB | 5.00 x | 6.00 x | 2.00 x | n/a |")).toHaveLength(3);
    expect(md).toContain("3 timed passes per scenario");
    expect(md).toMatch(/\(a\) >= 4 x \(b\), 20 ms, 8 endpoints, 8 MiB shards: 5\.00 x \(target 4 x\): \*\*met\*\*/);
    expect(md).toMatch(/\(a\) >= \(b\), no latency, 8 MiB shards: 1\.50 x \(target 1 x\): \*\*met\*\*/);
    expect(md).toContain("### 8 x 8 MiB, 20 ms added per location (one way)");
    expect(md.match(/^\| \(d\) pyarrow, thread pool \|/gm)).toHaveLength(2);
  });

  it("charges serial scenarios one added round trip per endpoint and parallel ones a single one", () => {
    const run = runs[1]!;
    const byId = (id: string) => run.scenarios.find((s) => s.id === id)!;
    expect(latencyFloorSeconds(run, byId("b"))).toBeCloseTo(0.32, 9);
    expect(latencyFloorSeconds(run, byId("c"))).toBeCloseTo(0.32, 9);
    expect(latencyFloorSeconds(run, byId("a"))).toBeCloseTo(0.04, 9);
    expect(latencyFloorSeconds(run, byId("d"))).toBeCloseTo(0.04, 9);
    expect(latencyFloorSeconds(runs[0]!, byId("b"))).toBe(0);
  });
});

describe("client benchmark chart", () => {
  it("rounds the axis up to 1, 2 or 5 x 10^k steps", () => {
    expect(niceAxis(83)).toEqual({ top: 100, step: 20 });
    expect(niceAxis(1234)).toEqual({ top: 1500, step: 500 });
    expect(niceAxis(0)).toEqual({ top: 1, step: 0.25 });
  });

  it("draws one bar per scenario and latency, with its value, in a well-formed SVG", () => {
    const svg = renderClientChart(resultOf(runs));
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    // 5 + 4 bars, plus the 2 legend swatches and the background.
    expect(svg.match(/<rect /g)).toHaveLength(5 + 4 + 2 + 1);
    expect(svg).toContain("0 ms added per location (one way)");
    expect(svg).toContain("20 ms added per location (one way)");
    expect(svg).toContain(">80</text>"); // (a): 8 MB in 0.1 s
    expect(svg).toContain("(a) our client, all endpoints at once, 20 ms: 80 MB/s, median 100 ms");
    expect(svg).not.toMatch(/NaN|undefined/);
  });
});
