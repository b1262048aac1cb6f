import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { peakRssBytes, processUsage, runQueueWaitSeconds } from "./bench-events.js";

// The benchmark runs on Linux; these read the same /proc files independently.
const hwmBytes = (): number => Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) * 1024;

describe("peakRssBytes", () => {
  it("is the kernel's high-water mark in bytes", () => {
    const before = hwmBytes();
    const value = peakRssBytes();
    expect(value).toBeGreaterThanOrEqual(before);
    expect(value).toBeLessThanOrEqual(hwmBytes());
  });

  it("grows by what the process touches", () => {
    const start = peakRssBytes();
    const block = Buffer.alloc(Math.max(64 * 1024 * 1024, start), 1);
    expect(peakRssBytes()).toBeGreaterThanOrEqual(start + block.length * 0.9);
  });
});

describe("processUsage", () => {
  it("reports peak RSS, CPU seconds and run-queue wait", () => {
    const usage = processUsage();
    expect(usage.maxRssBytes).toBeGreaterThan(0);
    expect(usage.cpuUserSeconds + usage.cpuSystemSeconds).toBeGreaterThan(0);
    expect(usage.runQueueWaitSeconds).toBeGreaterThanOrEqual(0);
    expect(runQueueWaitSeconds()).toBeGreaterThanOrEqual(usage.runQueueWaitSeconds ?? Number.POSITIVE_INFINITY);
  });
});
