/** Runs the README's snippet and checks every `// prints:` comment against what it printed. */
import { readFile } from "node:fs/promises";
import { format } from "node:util";
import { expect, it } from "vitest";
import * as registry from "./index.js";

it("README snippet runs and prints what its comments say", async () => {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const imported = /^import \{([^}]+)\} from "@flight-cluster\/registry";$/m.exec(code);
  expect(imported).not.toBeNull();
  const names = (imported?.[1] ?? "").split(",").map((n) => n.trim());
  const body = code.replace(imported?.[0] ?? "", "");
  const expected = [...body.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]);
  expect(expected.length).toBeGreaterThan(0);
  const printed: string[] = [];
  const fakeConsole = { log: (...args: unknown[]) => printed.push(format(...args)) };
  const exports = registry as unknown as Record<string, unknown>;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction(...names, "console", body)(...names.map((n) => exports[n]), fakeConsole);
  expect(printed).toEqual(expected);
});
