import { describe, expect, it } from "vitest";
import { escapeXml, niceStep, renderChart } from "./bench-chart.js";
import { failedScenario, okScenario, sampleResult } from "./bench-result.test-kit.js";

describe("niceStep", () => {
  it("picks 1, 2, 2.5 or 5 times a power of ten", () => {
    expect(niceStep(3.2, 6)).toBe(1);
    expect(niceStep(1.1, 6)).toBe(0.2);
    expect(niceStep(12, 6)).toBe(2);
    expect(niceStep(13, 6)).toBe(2.5);
    expect(niceStep(0.05, 6)).toBeCloseTo(0.01);
  });
  it("rejects a non-positive maximum", () => {
    expect(() => niceStep(0, 6)).toThrow(RangeError);
  });
});

describe("renderChart", () => {
  const svg = renderChart(
    sampleResult([okScenario("fixed", "b", 1.8), okScenario("fixed", "a", 1.2), failedScenario("strings", "a", "x")]),
  );

  it("is one SVG document", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  });

  it("draws a bar with its value for every successful scenario and n/a for the rest", () => {
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(2);
    expect(svg).toContain(">1.80</text>");
    expect(svg).toContain(">1.20</text>");
    expect(svg.match(/>n\/a</g)).toHaveLength(2); // strings: a failed, b never ran
  });

  it("escapes text", () => {
    expect(svg).toContain("strings &#60;&#38;&#62;");
    expect(escapeXml(`a"b'`)).toBe("a&#34;b&#39;");
  });
});
