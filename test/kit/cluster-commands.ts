/**
 * Running the built CLI and the pyarrow scripts of test/cluster to completion, and polling
 * for conditions with a bounded deadline: the command half of the cluster test kit
 * (test/kit/cluster.ts re-exports everything here).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pythonPath, REPO_ROOT } from "./python.js";

/** The built CLI entry point. */
export const CLI_MAIN = join(REPO_ROOT, "packages/cli/dist/main.js");

/** Result of a finished command. */
export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run the built CLI to completion (bounded by `timeoutMs`, default 120 s).
 * Never rejects for a non-zero exit: the result carries the code.
 */
export function runCli(
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI_MAIN, ...args], options);
}

/** Run `python test/cluster/<script> args` to completion (bounded, default 180 s). */
export function runPython(
  script: string,
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly cwd?: string } = {},
): Promise<CommandResult> {
  return runCommand(pythonPath(), [join(REPO_ROOT, "test/cluster", script), ...args], {
    timeoutMs: options.timeoutMs ?? 180_000,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

/** The JSON document on the last non-empty stdout line of a command; throws with diagnostics otherwise. */
export function lastJson<T = unknown>(result: CommandResult): T {
  const lines = result.stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `expected JSON on the last stdout line (exit ${result.code}, signal ${result.signal})\n` +
        `--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`,
    );
  }
}

function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly timeoutMs?: number; readonly cwd?: string; readonly env?: NodeJS.ProcessEnv },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        const status = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        const code = status === null ? 0 : typeof status.code === "number" ? status.code : null;
        resolve({ code, signal: status?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/**
 * Call `probe` until it returns something other than undefined, at most until
 * `timeoutMs` (default 30 s) has passed, pausing `intervalMs` (default 200 ms) between
 * attempts. Errors thrown by the probe count as "not yet" and the last one is reported.
 * @throws Error naming `what` and the last probe error when the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: last error: ${lastError.message}` : "";
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
