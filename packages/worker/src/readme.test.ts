import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it, vi } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));

it("runs the README snippet", async () => {
  const readme = readFileSync(join(here, "..", "README.md"), "utf8");
  const snippet = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet).toBeDefined();
  // Next to this file so that workspace imports resolve as they do for the tests; logs silenced.
  const path = join(here, `readme-snippet-${process.pid}.tmp.ts`);
  const quiet = snippet!
    .replace('zone: "a",', 'zone: "a", logger: { log() {} }, cpuThreads: 0,')
    .replace('from "@flight-cluster/worker"', 'from "./index.js"');
  writeFileSync(path, quiet);
  const lines: string[] = [];
  const log = vi
    .spyOn(console, "log")
    .mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  try {
    await import(/* @vite-ignore */ path);
  } finally {
    log.mockRestore();
    rmSync(path, { force: true });
  }
  expect(lines[0]).toMatch(/^worker w-[0-9a-f]+ serving at grpc\+tcp:\/\/127\.0\.0\.1:\d+$/);
  expect(JSON.parse(lines[1]!)).toMatchObject({ shardId: "scores-0", rows: 3 });
  expect(lines[2]).toBe("3 0.5,1.5,2.5");
});
