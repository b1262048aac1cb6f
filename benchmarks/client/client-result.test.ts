import { describe, expect, it } from "vitest";
import { checksumProblem, checkTargets, median, speedup, summarizeScenario } from "./client-result.js";
import { passes, runOf, scenarioRun } from "./client-result.test-kit.js";
import { parseScenarioPass } from "./scenario-output.js";

describe("client benchmark figures", () => {
  it("takes the median of odd and even counts and refuses an empty list", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it("summarizes a scenario's passes into median time, MB/s, rows/s and CPU figures", () => {
    const figures = summarizeScenario("a", scenarioRun([0.2, 0.1, 0.4], "abc", 3.5));
    expect(figures.medianSeconds).toBe(0.2);
    expect(figures.minSeconds).toBe(0.1);
    expect(figures.maxSeconds).toBe(0.4);
    expect(figures.passSeconds).toEqual([0.2, 0.1, 0.4]);
    expect(figures.megabytesPerSecond).toBeCloseTo(40, 6);
    expect(figures.rowsPerSecond).toBeCloseTo(40_000, 6);
    expect(figures.clientCpuPerWall).toBeCloseTo(0.5, 6);
    expect(figures.clientCpuMsPerPass).toBeCloseTo(((0.7 / 2) * 1000) / 3, 6);
    expect(figures.clientWaitPerWall).toBeCloseTo(0.25, 6);
    expect(figures.clusterCpuPerWall).toBeCloseTo(5, 6);
    expect(figures.clusterCpuMsPerPass).toBeCloseTo(3500 / 3, 6);
    expect(figures.proxyCpuMsPerPass).toBeCloseTo(3500 / 12, 6);
    expect(figures.clientMaxRssBytes).toBe(100 * 1024 * 1024);
    expect(figures.locationsUsed).toBe(2);
    expect(figures.label).toMatch(/^\(a\)/);
  });

  it("refuses a scenario without passes or with a pass that took no time", () => {
    expect(() => summarizeScenario("b", scenarioRun([0.1, 0]))).toThrow(/took no time/);
    expect(() => summarizeScenario("b", scenarioRun([]))).toThrow(/no timed pass/);
  });

  it("computes speedups as the slower scenario's median over the faster one's", () => {
    const run = runOf(20, { a: 0.1, b: 0.5, c: 0.6, d: 0.2 });
    expect(speedup(run, "a", "b")).toBeCloseTo(5, 6);
    expect(speedup(run, "a", "d")).toBeCloseTo(2, 6);
    expect(speedup(run, "a", "a-ordered")).toBeUndefined();
    const spread = {
      ...run,
      scenarios: [
        summarizeScenario("a", scenarioRun([0.1, 0.3, 0.2])),
        summarizeScenario("b", scenarioRun([1, 0.5, 0.8])),
      ],
    };
    expect(speedup(spread, "a", "b")).toBeCloseTo(4, 6);
    expect(speedup(spread, "a", "b", "fastest")).toBeCloseTo(5, 6);
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
    const other = summarizeScenario("c", scenarioRun([0.3], "def"));
    expect(checksumProblem({ ...same, scenarios: [...same.scenarios, other] })).toMatch(/c=def/);
  });

  it("validates a scenario process's pass line", () => {
    const good = JSON.parse(JSON.stringify(passes([0.1])[0])) as Record<string, unknown>;
    expect(parseScenarioPass(good).seconds).toBe(0.1);
    expect(() => parseScenarioPass({ ...good, seconds: "1" })).toThrow(/seconds is not a number/);
    expect(() => parseScenarioPass({ ...good, cpuSeconds: undefined })).toThrow(/cpuSeconds/);
    expect(() => parseScenarioPass({ ...good, locations: null })).toThrow(/locations/);
    expect(() => parseScenarioPass({ ...good, checksum: 1 })).toThrow(/checksum/);
  });
});
