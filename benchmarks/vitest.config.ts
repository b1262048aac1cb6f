import { defineConfig } from "vitest/config";

// Unit tests of the benchmark harness (not part of the root suite): pnpm exec vitest run --config benchmarks/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["doget/**/*.test.ts", "cluster/**/*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
  },
});
