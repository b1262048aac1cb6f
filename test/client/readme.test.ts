/**
 * Runs the first snippet of packages/client/README.md against an in-process cluster (the
 * snippet reads the planner's URI from `PLANNER`).
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { startTestCluster, type TestCluster } from "./cluster-kit.js";

const here = dirname(fileURLToPath(import.meta.url));
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: [{ zone: "a" }, { zone: "b" }, { zone: "c" }] });
});

afterAll(async () => {
  await cluster?.close();
});

it("runs the README snippet", async () => {
  const readme = readFileSync(join(here, "../../packages/client/README.md"), "utf8");
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  const path = join(here, `readme-snippet-${process.pid}.tmp.ts`);
  writeFileSync(path, snippet as string);
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  process.env["PLANNER"] = cluster.uri;
  try {
    await import(/* @vite-ignore */ path);
  } finally {
    log.mockRestore();
    delete process.env["PLANNER"];
    rmSync(path, { force: true });
  }
  expect(lines[0]).toMatch(/^stored 100000 rows in \d+ shards, 2 copies each$/);
  expect(lines[1]).toBe("read 100000 rows");
  expect(lines[2]).toBe("columns: amount");
});
