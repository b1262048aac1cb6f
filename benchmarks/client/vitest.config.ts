import { defineConfig } from "vitest/config";

// Unit tests of the client benchmark harness (not part of the root suite):
// pnpm exec vitest run --config benchmarks/client/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
  },
});
