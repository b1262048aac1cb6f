import { describe, expect, it } from "vitest";
import { checksumProblem, checkTargets, median, speedup, summarizeScenario } from "./client-result.js";
import { output, runOf } from "./client-result.test-kit.js";
import { parseScenarioOutput } from "./scenario-output.js";

describe("client benchmark figures", () => {
  it("takes the median of odd and even counts and refuses an empty list", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it("summarizes a scenario's passes into median time, MB/s, rows/s and CPU per wall", () => {
    const figures = summarizeScenario("a", {
      output: output([0.2, 0.1, 0.4]),
      clusterCpuSeconds: 3,
      wallSeconds: 2,
      passesRun: 4,
    });
    expect(figures.medianSeconds).toBe(0.2);
    expect(figures.minSeconds).toBe(0.1);
    expect(figures.maxSeconds).toBe(0.4);
    expect(figures.megabytesPerSecond).toBeCloseTo(40, 6);
    expect(figures.rowsPerSecond).toBeCloseTo(40_000, 6);
    expect(figures.clientCpuPerWall).toBeCloseTo(0.5, 6);
    expect(figures.clusterCpuPerWall).toBeCloseTo(1.5, 6);
    expect(figures.clientCpuMsPerPass).toBeCloseTo(((0.7 / 2) * 1000) / 3, 6);
    expect(figures.clientWaitPerWall).toBeCloseTo(0.25, 6);
    expect(figures.clusterCpuMsPerPass).toBeCloseTo(750, 6);
    expect(figures.locationsUsed).toBe(2);
    expect(figures.label).toMatch(/^\(a\)/);
  });

  it("refuses a scenario whose pass took no time", () => {
    expect(() =>
      summarizeScenario("b", { output: output([0.1, 0]), clusterCpuSeconds: 0, wallSeconds: 1, passesRun: 2 }),
    ).toThrow(/took no time/);
  });

  it("computes speedups as the slower scenario's median over the faster one's", () => {
    const run = runOf(20, { a: 0.1, b: 0.5, c: 0.6, d: 0.2 });
    expect(speedup(run, "a", "b")).toBeCloseTo(5, 6);
    expect(speedup(run, "a", "d")).toBeCloseTo(2, 6);
    expect(speedup(run, "a", "a-ordered")).toBeUndefined();
  });

  it("checks the issue's targets: >= 4 x at 20 ms with 8 endpoints, >= 1 x with no latency", () => {
    const checks = checkTargets([runOf(0, { a: 0.1, b: 0.09 }), runOf(20, { a: 0.1, b: 0.45 })]);
    expect(checks).toHaveLength(2);
    expect(checks[0]).toMatchObject({ delayMs: 0, target: 1, met: false });
    expect(checks[0]?.value).toBeCloseTo(0.9, 6);
    expect(checks[1]).toMatchObject({ delayMs: 20, target: 4, met: true });
    expect(checkTargets([runOf(50, { a: 0.1, b: 1 })])).toEqual([]);
  });

  it("reports scenarios that read different data", () => {
    const same = runOf(0, { a: 0.1, b: 0.2 });
    expect(checksumProblem(same)).toBeUndefined();
    const other = summarizeScenario("c", {
      output: output([0.3], "def"),
      clusterCpuSeconds: 0,
      wallSeconds: 1,
      passesRun: 2,
    });
    expect(checksumProblem({ ...same, scenarios: [...same.scenarios, other] })).toMatch(/c=def/);
  });

  it("validates a scenario process's result line", () => {
    const good = JSON.parse(JSON.stringify(output([0.1]))) as Record<string, unknown>;
    expect(parseScenarioOutput(good).passes).toHaveLength(1);
    expect(() => parseScenarioOutput({ ...good, passes: [] })).toThrow(/no passes/);
    expect(() => parseScenarioOutput({ ...good, passes: [{ seconds: "1" }] })).toThrow(/passes\[0\]\.seconds/);
    expect(() => parseScenarioOutput({ ...good, cpuSeconds: undefined })).toThrow(/cpuSeconds/);
  });
});
