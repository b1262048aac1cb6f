/**
 * The processes of a cluster benchmark: a private redis-server, planner and worker
 * processes of the built CLI (`packages/cli/dist/main.js`), each awaited on its ready
 * line; and CPU time of any process from /proc (Linux), to attribute CPU to roles.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** A child process that printed its ready line. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** The gRPC URI (planner, worker) or `redis://127.0.0.1:port` (Redis) from the ready line. */
  readonly uri: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code once exited. */
  stop(graceMs?: number): Promise<number | null>;
}

const READY_URI = /\bready\b.*?\b(grpc(?:\+tcp)?:\/\/[^\s,;)]+)/;
const live = new Set<ChildProcess>();

/** SIGKILL every child still running (for the harness's exit and signal handlers). */
export function killAllBenchProcesses(): void {
  for (const child of live) child.kill("SIGKILL");
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/**
 * Spawn `command` and resolve once a stdout line matches `ready`; the match's first group
 * is the URI. Rejects (after killing the child) if it exits first or stays silent past `timeoutMs`.
 */
export function startBenchProcess(
  name: string,
  command: string,
  args: readonly string[],
  ready: RegExp,
  timeoutMs: number,
  uriOf: (match: RegExpExecArray) => string = (m) => m[1] ?? "",
): Promise<BenchProcess> {
  const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stderrTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    stderrTail = (stderrTail + text).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("close", (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => fail(new Error(`${name}: no ready line within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n--- stderr ---\n${stderrTail}`));
    };
    void exited.then((code) => fail(new Error(`${name} exited with code ${code} before it was ready`)));
    lines.on("line", (line) => {
      const match = ready.exec(line);
      if (match === null) return;
      clearTimeout(timer);
      lines.removeAllListeners("line");
      child.stdout?.resume();
      const pid = child.pid ?? -1;
      resolve({
        name,
        pid,
        uri: uriOf(match),
        async stop(graceMs = 15_000) {
          if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
          child.kill("SIGTERM");
          const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
          try {
            return await exited;
          } finally {
            clearTimeout(kill);
          }
        },
      });
    });
  });
}

/** Start a private redis-server (no persistence) on a free port. */
export async function startRedis(timeoutMs = 30_000): Promise<BenchProcess> {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  return startBenchProcess("redis", "redis-server", args, /Ready to accept connections/, timeoutMs, () => {
    return `redis://127.0.0.1:${port}`;
  });
}

/** Start `flight-cluster <role> ...args` from the built CLI and wait for its ready line. */
export function startClusterNode(
  repoRoot: string,
  role: "planner" | "worker",
  name: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<BenchProcess> {
  return startBenchProcess(
    name,
    process.execPath,
    [join(repoRoot, "packages/cli/dist/main.js"), role, ...args],
    READY_URI,
    timeoutMs,
  );
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  clockTicks ??= 100; // USER_HZ is 100 on every Linux architecture Node supports.
  return (utime + stime) / clockTicks;
}
