/** How each DoGet scenario is run: the server command, then the client command given the server's ready event. */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "./bench-child.js";
import type { ReadyEvent } from "./bench-events.js";
import type { ResolvedBenchOptions, ScenarioId, TableName } from "./bench-options.js";

/** What a scenario needs to know about the run and the table. */
export interface ScenarioContext {
  readonly options: ResolvedBenchOptions;
  readonly table: TableName;
  /** The Arrow IPC file every server loads. */
  readonly tableFile: string;
  /** Rows every pass must deliver. */
  readonly rows: number;
}

/** The two processes of a scenario. */
export interface ScenarioPlan {
  readonly server: Command;
  /** @throws Error when the ready event lacks a fact the client needs. */
  client(ready: ReadyEvent): Command;
}

const script = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));
/** The Python sources are not compiled: from dist/doget/ back to doget/py/. */
const pythonScript = (name: string): string => fileURLToPath(new URL(`../../doget/py/${name}`, import.meta.url));

/** Directory the CPU profiles of the Node scenarios (a, a2, b) are written to. */
export function profileDir(options: ResolvedBenchOptions): string {
  return join(options.workDir, "profiles");
}

function nodeCommand(
  ctx: ScenarioContext,
  id: ScenarioId,
  role: "server" | "client",
  file: string,
  args: string[],
): Command {
  const profiled = ctx.options.cpuProf;
  const profile = profiled
    ? ["--cpu-profile", join(profileDir(ctx.options), `${ctx.table}-${id}-${role}.cpuprofile`)]
    : [];
  return { command: process.execPath, args: [script(file), ...args, ...profile] };
}

function passArgs(ctx: ScenarioContext): string[] {
  return ["--passes", String(ctx.options.passes), "--warmup", String(ctx.options.warmup)];
}

function readyNumber(ready: ReadyEvent, key: string): number {
  const value = ready[key];
  if (typeof value !== "number") throw new Error(`the server's ready event has no numeric "${key}"`);
  return value;
}

/** The commands of scenario `id` on the context's table. */
export function planScenario(id: ScenarioId, ctx: ScenarioContext): ScenarioPlan {
  const expect = ["--expect-rows", String(ctx.rows)];
  switch (id) {
    case "b":
      return {
        server: nodeCommand(ctx, id, "server", "passthrough-server.js", ["--file", ctx.tableFile]),
        client: (ready) =>
          nodeCommand(ctx, id, "client", "passthrough-client.js", [
            "--port",
            String(ready.port),
            ...expect,
            "--expect-messages",
            String(readyNumber(ready, "messages")),
            "--expect-wire-bytes",
            String(readyNumber(ready, "wireBytes")),
            ...passArgs(ctx),
          ]),
      };
    case "c":
      return {
        server: { command: ctx.options.python, args: [pythonScript("pyarrow_server.py"), "--file", ctx.tableFile] },
        client: (ready) => ({
          command: ctx.options.python,
          args: [pythonScript("pyarrow_client.py"), "--port", String(ready.port), ...expect, ...passArgs(ctx)],
        }),
      };
    case "a":
    case "a2":
      return {
        server: nodeCommand(ctx, id, "server", "flight-bench-server.js", [
          "--file",
          ctx.tableFile,
          "--mode",
          id === "a" ? "batches" : "frames",
        ]),
        client: (ready) =>
          nodeCommand(ctx, id, "client", "flight-bench-client.js", [
            "--port",
            String(ready.port),
            ...expect,
            ...passArgs(ctx),
          ]),
      };
  }
}
