import { FlightUnavailableError } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { LocationStats } from "./location-stats.js";

describe("LocationStats", () => {
  it("keeps an exponentially weighted moving average of round trips", () => {
    const stats = new LocationStats({ alpha: 0.5, deadTtlMs: 1000 });
    stats.sample("a", 10);
    expect(stats.rtt("a")).toBe(10);
    stats.sample("a", 20);
    expect(stats.rtt("a")).toBe(15);
    expect(stats.rtt("b")).toBeUndefined();
  });

  it("keeps the base round trip as the minimum of the last 8 samples", () => {
    const stats = new LocationStats({ alpha: 0.3, deadTtlMs: 1000 });
    stats.sample("a", 10);
    stats.sample("a", 50);
    expect(stats.baseRtt("a")).toBe(10);
    for (let i = 0; i < 7; i++) stats.sample("a", 30);
    expect(stats.baseRtt("a")).toBe(30);
    expect(stats.snapshot().get("a")?.baseRttMs).toBe(30);
    expect(stats.baseRtt("b")).toBeUndefined();
  });

  it("counts calls in flight and remembers dead locations for the TTL", () => {
    let now = 1_000;
    const stats = new LocationStats({ alpha: 0.3, deadTtlMs: 500, now: () => now });
    stats.begin("a");
    stats.begin("a");
    stats.end("a");
    expect(stats.inflight("a")).toBe(1);
    const error = new FlightUnavailableError("connection refused");
    expect(stats.markDead("a", error)).toBe(true);
    expect(stats.markDead("a", error)).toBe(false);
    expect(stats.isDead("a")).toBe(true);
    expect(stats.deadReason("a")).toBe(error);
    now += 501;
    expect(stats.isDead("a")).toBe(false);
    expect(stats.snapshot().get("a")?.started).toBe(2);
  });
});
