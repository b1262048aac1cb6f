import { describe, expect, it } from "vitest";
import type { ClientResultEvent } from "./bench-events.js";
import type { ScenarioRun } from "./scenario-summary.js";
import { summarizeScenario } from "./scenario-summary.js";

const table = { name: "fixed", bodyBytes: 4e9, rows: 1000 } as const;
const usage = (cpu: number, wait: number, rss: number) => ({
  maxRssBytes: rss,
  cpuUserSeconds: cpu,
  cpuSystemSeconds: 0,
  runQueueWaitSeconds: wait,
});

function okRun(passSeconds: number[], options: { serverCpu: number; rss: number; clientWait?: number }): ScenarioRun {
  const result: ClientResultEvent = {
    event: "result",
    warmup: [{ seconds: 2, rows: 1000, batches: 1 }],
    passes: passSeconds.map((seconds) => ({ seconds, rows: 1000, batches: 1 })),
    timedCpuSeconds: 1,
    ...(options.clientWait === undefined ? {} : { timedRunQueueWaitSeconds: options.clientWait }),
    ...usage(5, 0, options.rss),
  };
  return {
    ok: true,
    ready: { event: "ready", port: 1, messages: 9, ...usage(1, 1, 100) },
    exit: { event: "exit", ...usage(1 + options.serverCpu, 2, options.rss * 2) },
    result,
    loadAverage: [1, 3],
  };
}

describe("summarizeScenario", () => {
  it("reports one run's passes, CPU and wait per wall second, and the server's facts", () => {
    const summary = summarizeScenario("b", table, [okRun([2, 1, 4], { serverCpu: 4.5, rss: 10, clientWait: 0.7 })]);
    expect(summary).toMatchObject({ status: "ok", runs: 1, loadAverage: [1, 3], serverFacts: { messages: 9 } });
    expect(summary.figures?.medianGBps).toBe(2);
    // Server: 4.5 CPU seconds over 2 + 2 + 1 + 4 = 9 s served (warm-up included); wait 2 - 1 = 1 s.
    expect(summary.server).toEqual({ maxRssBytes: 20, cpuSeconds: 5.5, cpuPerWall: 0.5, waitPerWall: 1 / 9 });
    // Client: 1 CPU second and 0.7 s of waiting over 7 s of timed passes.
    expect(summary.client).toMatchObject({ maxRssBytes: 10, cpuSeconds: 5, cpuPerWall: 1 / 7 });
    expect(summary.client?.waitPerWall).toBeCloseTo(0.1, 12);
  });

  it("pools the timed passes of every round and keeps the largest RSS", () => {
    const summary = summarizeScenario("a", table, [
      okRun([1, 1], { serverCpu: 1, rss: 10 }),
      okRun([4, 4, 4], { serverCpu: 1, rss: 30 }),
    ]);
    expect(summary.runs).toBe(2);
    expect(summary.figures?.passSeconds).toEqual([1, 1, 4, 4, 4]);
    expect(summary.figures?.medianSeconds).toBe(4);
    expect(summary.client?.maxRssBytes).toBe(30);
    expect(summary.client?.waitPerWall).toBeNull();
  });

  it("reports a failed round as a failed scenario, naming the round", () => {
    const summary = summarizeScenario("c", table, [
      okRun([1], { serverCpu: 1, rss: 1 }),
      { ok: false, error: "c server exited", loadAverage: [5, 7] },
    ]);
    expect(summary).toMatchObject({ status: "failed", error: "round 2: c server exited", loadAverage: [3, 5] });
    expect(summary.figures).toBeUndefined();
  });

  it("needs at least one run", () => {
    expect(() => summarizeScenario("a", table, [])).toThrow(RangeError);
  });
});
