import { registryContract } from "./registry-contract.test-kit.js";
import { createMemoryRegistry } from "./registry-memory.js";

let clock = Date.parse("2026-01-01T00:00:00Z");

registryContract(() => ({
  shortTtlMs: 1000,
  async open(prefix) {
    return createMemoryRegistry({ now: () => clock, prefix });
  },
  async openAnother(registry) {
    return registry;
  },
  async elapse(ms) {
    clock += ms;
  },
  async loseAllData(registry) {
    await registry.close();
    return createMemoryRegistry({ now: () => clock, prefix: registry.prefix });
  },
}));
