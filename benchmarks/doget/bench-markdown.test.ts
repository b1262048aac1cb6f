import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./bench-markdown.js";
import { failedScenario, okScenario, sampleResult } from "./bench-result.test-kit.js";

describe("renderMarkdown", () => {
  const result = sampleResult([
    okScenario("fixed", "b", 1.8),
    okScenario("fixed", "c", 2.5),
    okScenario("fixed", "a", 1.2),
    failedScenario("strings", "a", "a server exited | badly\nstack line"),
  ]);
  const markdown = renderMarkdown(result);

  it("has one row per scenario with median, range, rows/s and RSS", () => {
    expect(markdown).toContain(
      "| fixed | (a) flight-cluster server -> client | **1.20** | 1.08 - 1.32 | 37.5 | 300 | 200 | 0.90 | 1.00 | 0.05 | - | 1.0 / 1.5 |",
    );
  });

  it("shows a failure's first line, escaping table pipes", () => {
    expect(markdown).toContain("failed: a server exited \\| badly |");
    expect(markdown).not.toContain("stack line");
  });

  it("lists the ratios against their targets", () => {
    expect(markdown).toContain("| fixed | a/b | 0.67 | >= 0.80 | **no** |");
    expect(markdown).toContain("| fixed | a/c | 0.48 | >= 0.50 | **no** |");
    expect(markdown).toContain("| fixed | b/c | 0.72 |  |  |");
  });

  it("describes the machine and the tables", () => {
    expect(markdown).toContain("2 x Test CPU");
    expect(markdown).toContain("| fixed | 100 | 2 (50) | 0 MiB | 4 x int64 |");
  });
});
