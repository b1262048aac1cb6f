import { defineConfig } from "vitest/config";

// Unit tests of the DoPut benchmark's report (not part of the root suite):
// pnpm exec vitest run --config benchmarks/doput/vitest.config.ts
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["*.test.ts"],
    testTimeout: 30_000,
    pool: "forks",
  },
});
