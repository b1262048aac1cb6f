import { describe, expect, it } from "vitest";
import { escapeXml, niceStep, renderBenchChart } from "./bench-chart.js";
import { type BenchReport, formatBenchReport } from "./command-bench.js";

describe("renderBenchChart", () => {
  it("draws one bar per entry with its value, a whisker and escaped labels", () => {
    const svg = renderBenchChart("T <1>", "sub & more", "MB/s", [
      { label: "(a) concurrency 4", value: 120, low: 100, high: 130 },
      { label: "(b) one at a time", value: 40 },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("T &#60;1&#62;");
    expect(svg).toContain("sub &#38; more");
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg).toContain(">120<");
    expect(svg).toContain(">40.0<");
  });

  it("picks round tick steps", () => {
    expect(niceStep(130, 6)).toBe(25);
    expect(niceStep(1, 5)).toBe(0.2);
    expect(escapeXml(`"'`)).toBe("&#34;&#39;");
  });
});

describe("formatBenchReport", () => {
  it("prints both modes, their rates and the ratio", () => {
    const report: BenchReport = {
      uri: "grpc+tcp://h:1",
      dataset: "d",
      endpoints: 8,
      rows: 1_000_000,
      bytes: 8_000_000,
      passes: 3,
      results: [
        {
          mode: "parallel",
          concurrency: 4,
          seconds: [0.5, 0.4, 0.6],
          medianSeconds: 0.5,
          mbPerSecond: 16,
          rowsPerSecond: 2e6,
        },
        {
          mode: "sequential",
          concurrency: 1,
          seconds: [1, 1, 1],
          medianSeconds: 1,
          mbPerSecond: 8,
          rowsPerSecond: 1e6,
        },
      ],
      speedup: 2,
      chart: null,
    };
    const lines = formatBenchReport(report).trimEnd().split("\n");
    expect(lines[1]).toMatch(/^MODE\s+CONCURRENCY\s+MEDIAN\s+MIN\s+MAX\s+MB\/S\s+ROWS\/S$/);
    expect(lines[3]).toMatch(/^\(a\) parallel\s+4\s+.*16\.0\s+2,000,000$/);
    expect(lines[4]).toMatch(/^\(b\) one at a time\s+1\s+.*8\.0\s+1,000,000$/);
    expect(lines[5]).toBe("parallel/one-at-a-time: 2.00x (median wall time)");
  });
});
