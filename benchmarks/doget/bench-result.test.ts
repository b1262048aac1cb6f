import { describe, expect, it } from "vitest";
import { computeRatios } from "./bench-result.js";
import { failedScenario, okScenario } from "./bench-result.test-kit.js";

describe("computeRatios", () => {
  it("divides median GB/s and checks the fixed-width targets", () => {
    const ratios = computeRatios(
      [okScenario("fixed", "b", 2), okScenario("fixed", "c", 3), okScenario("fixed", "a", 1.5)],
      ["fixed"],
    );
    expect(ratios).toEqual([
      { table: "fixed", name: "a/b", value: 0.75, target: 0.8, met: false },
      { table: "fixed", name: "a/c", value: 0.5, target: 0.5, met: true },
      { table: "fixed", name: "b/c", value: 2 / 3, target: null, met: null },
    ]);
  });

  it("has no targets on the string table", () => {
    const ratios = computeRatios([okScenario("strings", "b", 2), okScenario("strings", "a", 1.9)], ["strings"]);
    expect(ratios).toEqual([{ table: "strings", name: "a/b", value: 0.95, target: null, met: null }]);
  });

  it("lists a ratio with a failed side as null rather than dropping it", () => {
    const ratios = computeRatios([okScenario("fixed", "b", 2), failedScenario("fixed", "a", "boom")], ["fixed"]);
    expect(ratios).toEqual([{ table: "fixed", name: "a/b", value: null, target: 0.8, met: null }]);
  });
});
