import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeTestPki, type TestPki } from "./tls.test-kit.js";

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(resolve(here, "../README.md"), "utf8");
const snippets = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Inside the package so that apache-arrow resolves; removed afterwards (never committed).
const scratch = resolve(here, "../.readme-snippets");
const index = pathToFileURL(resolve(here, "index.ts")).href;

let pki: TestPki;

beforeAll(() => {
  pki = makeTestPki();
  mkdirSync(scratch, { recursive: true });
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  pki?.remove();
});

/** Runs snippet `n` as a module and returns what it printed with console.log. */
async function run(n: number): Promise<unknown[][]> {
  const file = join(scratch, `snippet-${n}.ts`);
  writeFileSync(file, snippets[n]!.replaceAll('"@flight-cluster/protocol"', JSON.stringify(index)));
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ pathToFileURL(file).href);
    return log.mock.calls;
  } finally {
    log.mockRestore();
  }
}

describe("README snippets run as written", () => {
  it("has the five snippets this test knows", () => {
    expect(snippets).toHaveLength(5);
  });

  it("server", async () => {
    const out = await run(0);
    expect(out[0]![0]).toBe("listening on");
    expect(String(out[0]![1])).toMatch(/^grpc\+tcp:\/\/127\.0\.0\.1:\d+$/);
  });

  it("client", async () => {
    expect(await run(1)).toEqual([[3], [["1000"]], [true]]);
  });

  it("authentication", async () => {
    expect(await run(2)).toEqual([[true], ["authorization", true], ["alice"]]);
  });

  it("TLS and mutual TLS", async () => {
    process.env["TLS_DIR"] = pki.dir;
    try {
      expect(await run(3)).toEqual([["CN=flight-client"]]);
    } finally {
      delete process.env["TLS_DIR"];
    }
  });

  it("middleware", async () => {
    const out = await run(4);
    expect(out).toHaveLength(2);
    expect(out).toContainEqual(["server:", ["flight-cluster"]]);
    const timing = out.find((line) => line[0] === "ListActions");
    expect(timing?.[1]).toBe("OK");
    expect(timing?.[2]).toMatch(/^\d+\.\d ms$/);
  });
});
