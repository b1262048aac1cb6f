/**
 * The registry contract: one vitest suite that every backend must pass.
 * `registryContract(getHarness)` registers the tests; each backend's test file
 * supplies a harness (how to open a registry, let time pass, and lose all data).
 */
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, describe } from "vitest";
import type { Registry } from "./registry.js";
import { catalogContract } from "./registry-contract-catalog.test-kit.js";
import { rebuildContract } from "./registry-contract-rebuild.test-kit.js";
import type { ContractContext, RegistryHarness } from "./registry-contract-support.test-kit.js";
import { workerContract } from "./registry-contract-workers.test-kit.js";

export type { RegistryHarness } from "./registry-contract-support.test-kit.js";

/** Register the whole contract suite for one backend. */
export function registryContract(harness: () => RegistryHarness): void {
  const opened: Registry[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((r) => r.close()));
  });
  const ctx: ContractContext = {
    harness,
    async open(prefix) {
      const registry = await harness().open(prefix);
      opened.push(registry);
      return registry;
    },
    async openAnother(registry) {
      const another = await harness().openAnother(registry);
      opened.push(another);
      return another;
    },
    async eventually(probe, stepMs = 20) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          return await probe();
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
        await harness().elapse(stepMs);
        await delay(5);
      }
    },
  };
  describe("workers", () => workerContract(ctx));
  describe("catalog", () => catalogContract(ctx));
  describe("rebuild", () => rebuildContract(ctx));
}
