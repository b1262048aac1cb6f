import { describe, expect, it } from "vitest";
import type { CpuProfile } from "./cpu-profile-summary.js";
import { areaOf, formatProfileSummary, summarizeCpuProfile } from "./cpu-profile-summary.js";

// root -> main -> (encode -> copy), plus (idle) and (garbage collector) under root.
const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 9 });
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 5, 6] },
    { id: 2, callFrame: frame("main", "file:///x/benchmarks/doget/client.js"), children: [3] },
    { id: 3, callFrame: frame("encode", "file:///x/node_modules/@grpc/grpc-js/build/src/a.js"), children: [4] },
    { id: 4, callFrame: frame("copy", "node:buffer") },
    { id: 5, callFrame: frame("(idle)") },
    { id: 6, callFrame: frame("(garbage collector)") },
  ],
  // Each sample lasts until the next: durations are the following delta.
  samples: [4, 4, 3, 2, 6, 5],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
};

describe("summarizeCpuProfile", () => {
  const summary = summarizeCpuProfile(profile);

  it("separates idle from busy time", () => {
    expect(summary.busyMs).toBe(5);
    expect(summary.idleMs).toBe(1);
  });

  it("attributes self time to the sampled function and inclusive time to its callers", () => {
    const copy = summary.functions.find((f) => f.name.startsWith("copy"));
    const main = summary.functions.find((f) => f.name.startsWith("main"));
    expect(copy).toMatchObject({ selfMs: 2, selfPercent: 40 });
    expect(main).toMatchObject({ selfMs: 1, totalMs: 4, totalPercent: 80 });
    expect(summary.functions[0]?.name).toBe("copy (node:buffer:10)");
  });

  it("names the callers self time came through", () => {
    const copy = summary.functions.find((f) => f.name.startsWith("copy"));
    expect(copy?.callers).toEqual([{ name: "encode (@grpc/grpc-js/build/src/a.js:10)", percent: 40 }]);
  });

  it("groups self time by area", () => {
    const areas = Object.fromEntries(summary.areas.map((a) => [a.name, a.selfPercent]));
    expect(areas).toEqual({ "node internals": 40, "grpc-js": 20, "benchmark code": 20, "(garbage collector)": 20 });
  });

  it("formats the summary as text", () => {
    const text = formatProfileSummary(summary, 1);
    expect(text).toContain("40.0% /  40.0%  copy (node:buffer:10)");
    expect(text).toContain("<- 40.0% from encode");
  });
});

describe("areaOf", () => {
  it("recognizes the protocol package and apache-arrow", () => {
    expect(areaOf("file:///r/packages/protocol/dist/flight-data.js", "f")).toBe("protocol package");
    expect(areaOf("file:///r/node_modules/.pnpm/apache-arrow@21.2.0/node_modules/apache-arrow/ipc/x.mjs", "f")).toBe(
      "apache-arrow",
    );
  });
});
