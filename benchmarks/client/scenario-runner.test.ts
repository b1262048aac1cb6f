import { describe, expect, it } from "vitest";
import { runScenarios } from "./scenario-runner.js";

// A scenario process speaking the line protocol: its n-th pass reports n seconds and its name as checksum.
const FAKE = `
const name = process.argv[1];
let n = 0;
process.stdout.write(JSON.stringify({ event: "ready" }) + "\\n");
require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "pass") {
    n++;
    const pass = { seconds: n, rows: 10, bytes: 100, batches: 1, endpoints: 1, locations: { x: 1 },
      checksum: name, cpuSeconds: 0.5, runQueueWaitSeconds: 0 };
    process.stdout.write(JSON.stringify({ event: "pass", ...pass }) + "\\n");
  } else if (line === "end") {
    process.stdout.write(JSON.stringify({ event: "result", maxRssBytes: 1 }) + "\\n");
    process.exit(0);
  } else if (line === "fail") process.exit(3);
});
`;

describe("runScenarios", () => {
  it("alternates passes between scenarios, drops the warm-up rounds and charges each pass's cluster CPU to its scenario", async () => {
    const order: string[] = [];
    let cpu = 0;
    const runs = await runScenarios({
      scenarios: (["a", "b", "c"] as const).map((id) => ({ id, command: process.execPath, args: ["-e", FAKE, id] })),
      warmup: 1,
      passes: 2,
      clusterCpuSeconds: () => {
        cpu += 1;
        return { total: cpu, proxies: cpu / 2 };
      },
      passTimeoutMs: 10_000,
      log: (line) => order.push(line),
    });
    expect([...runs.keys()].sort()).toEqual(["a", "b", "c"]);
    for (const [id, run] of runs) {
      // Pass 1 was the warm-up round; passes 2 and 3 count.
      expect(run.passes.map((p) => p.seconds)).toEqual([2, 3]);
      expect(run.passes.every((p) => p.checksum === id)).toBe(true);
      // Each pass samples the cluster's CPU twice (before and after): 1 second per pass here.
      expect(run.clusterCpuSeconds).toBe(2);
      expect(run.proxyCpuSeconds).toBe(1);
      expect(run.maxRssBytes).toBeGreaterThan(1024 * 1024); // VmHWM from /proc, not the child's own figure
    }
    expect(order).toEqual(["round 1/3 (warm-up) done", "round 2/3 done", "round 3/3 done"]);
  });

  it("fails naming the scenario whose process dies, and stops the others", async () => {
    const bad = `process.stdout.write(JSON.stringify({ event: "ready" }) + "\\n"); process.stdin.once("data", () => process.exit(3));`;
    await expect(
      runScenarios({
        scenarios: [
          { id: "a", command: process.execPath, args: ["-e", FAKE, "a"] },
          { id: "b", command: process.execPath, args: ["-e", bad] },
        ],
        warmup: 0,
        passes: 1,
        clusterCpuSeconds: () => ({ total: 0, proxies: 0 }),
        passTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/scenario b exited with status 3 before its "pass" event/);
  });
});
