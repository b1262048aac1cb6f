import { StatusCode } from "@flight-cluster/protocol";
import { createMemoryRegistry, type Registry } from "@flight-cluster/registry";
import { describe, expect, it } from "vitest";
import { PlannerError } from "./planner-error.js";
import { resolvePlannerOptions } from "./planner-options.js";

describe("resolvePlannerOptions", () => {
  const registry = createMemoryRegistry();

  it("fills defaults", () => {
    const resolved = resolvePlannerOptions({ registry });
    expect(resolved).toMatchObject({
      port: 8815,
      host: "localhost",
      replicas: 2,
      shardTargetBytes: 64 * 1024 * 1024,
      ticketTtlMs: 600_000,
      uploadTtlMs: 600_000,
      repairIntervalMs: 5000,
      repair: true,
      maxMessageBytes: 2 * 1024 * 1024,
      maxDescriptorBytes: 64 * 1024,
    });
    expect(resolved.registry).toBe(registry);
  });

  it.each([
    [{ port: 70_000 }, /port must be an integer in 0\.\.65535, got 70000/],
    [{ replicas: 0 }, /replicas must be an integer in 1\.\.16/],
    [{ shardTargetBytes: 1.5 }, /shardTargetBytes must be an integer/],
    [{ ticketTtlMs: 10 }, /ticketTtlMs must be an integer in 100\.\./],
    [{ host: "" }, /host must not be empty/],
  ])("rejects %j naming the option", (bad, message) => {
    let caught: unknown;
    try {
      resolvePlannerOptions({ registry, ...bad });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlannerError);
    expect((caught as PlannerError).code).toBe(StatusCode.INVALID_ARGUMENT);
    expect((caught as PlannerError).rawMessage).toMatch(message);
  });

  it("requires a registry", () => {
    expect(() => resolvePlannerOptions({ registry: undefined as unknown as Registry })).toThrow(/registry is required/);
    expect(() => resolvePlannerOptions({ registry: "" })).toThrow(/registry is required/);
    expect(resolvePlannerOptions({ registry: "memory://" }).registry).toBe("memory://");
  });
});
