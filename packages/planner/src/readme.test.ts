import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

it("runs the README snippet", async () => {
  const readme = readFileSync(join(here, "..", "README.md"), "utf8");
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  // Next to this file so that workspace imports resolve as they do for the tests.
  const path = join(here, `readme-snippet-${process.pid}.tmp.ts`);
  writeFileSync(path, snippet!.replace("startPlanner({ registry,", "startPlanner({ logger: { log() {} }, registry,"));
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  try {
    await import(/* @vite-ignore */ path);
  } finally {
    log.mockRestore();
    rmSync(path, { force: true });
  }
  expect(lines[0]).toMatch(/^planner ready at grpc\+tcp:\/\/127\.0\.0\.1:\d+$/);
  expect(JSON.parse(lines[1]!)).toMatchObject({ replicas: 2, workers: [], datasets: [], underReplicated: [] });
});
