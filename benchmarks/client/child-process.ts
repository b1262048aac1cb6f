/**
 * Child processes of the client benchmark and the demo: start a program, wait for its
 * ready line on stdout (bounded), read its later JSON event lines, stop it for certain,
 * and read any process's CPU time from /proc (Linux) to attribute CPU to roles.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

/** A child process past its ready line. */
export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** The stdout line that signalled readiness. */
  readonly readyLine: string;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /**
   * The next JSON stdout line whose `event` field is `event` (earlier lines of other kinds are kept).
   * @throws Error when the process exits first or `timeoutMs` passes (the message carries its stderr).
   */
  nextEvent(event: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Writes one line to stdin. */
  writeLine(line: string): void;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10,000); resolves once exited. Safe to call twice. */
  stop(graceMs?: number): Promise<number | null>;
}

/** What to start. */
export interface ChildSpec {
  /** For error messages (e.g. "worker 3"). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Whether a stdout line is the ready signal. Default: the first line. */
  readonly isReady?: (line: string) => boolean;
  /** How long the ready line may take, ms. Default 60,000. */
  readonly readyTimeoutMs?: number;
}

const STDERR_TAIL = 8 * 1024;
const live = new Set<ChildProcess>();

/** SIGKILL every child this module started that still runs (for exit and signal handlers). */
export function killAllChildren(): void {
  for (const child of live) child.kill("SIGKILL");
}

/**
 * Spawns `spec.command` and resolves once a stdout line passes `spec.isReady`.
 * @throws Error (with the stderr tail) when the process exits or stays silent first; it is killed then.
 */
export async function startChild(spec: ChildSpec): Promise<BenchChild> {
  const child = spawn(spec.command, [...spec.args], { stdio: ["pipe", "pipe", "pipe"] });
  live.add(child);
  let stderrTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    stderrTail = (stderrTail + text).slice(-STDERR_TAIL);
  });
  child.stdin?.on("error", () => {});
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      stderrTail += `\nspawn failed: ${error.message}`;
      live.delete(child);
      resolve(null);
    });
    child.once("close", (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  const failure = (what: string): Error => {
    const tail = stderrTail.trim();
    return new Error(`${spec.name} ${what}${tail === "" ? "" : `\n--- stderr (tail) ---\n${tail}`}`);
  };
  const isReady = spec.isReady ?? (() => true);
  const events: Record<string, unknown>[] = [];
  let wake: (() => void) | undefined;
  let readyLine: string | undefined;
  let onReady: ((line: string) => void) | undefined;
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on("line", (line) => {
    if (readyLine === undefined) {
      if (!isReady(line)) return;
      readyLine = line;
      onReady?.(line);
    }
    if (!line.startsWith("{")) return;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return;
    }
    wake?.();
  });
  let done = false;
  void exited.then(() => {
    done = true;
    wake?.();
  });

  const timeoutMs = spec.readyTimeoutMs ?? 60_000;
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(failure(`printed no ready line within ${timeoutMs} ms; killed`));
    }, timeoutMs);
    onReady = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(failure(`exited with status ${code} before it was ready`));
    });
  });

  return {
    name: spec.name,
    pid: child.pid ?? -1,
    readyLine: ready,
    exited,
    async nextEvent(event, waitMs) {
      const deadline = performance.now() + waitMs;
      for (;;) {
        const index = events.findIndex((e) => e["event"] === event);
        if (index >= 0) return events.splice(index, 1)[0] as Record<string, unknown>;
        if (done) {
          // Lines may still be in the reader when the process closes: give them one turn.
          await new Promise((resolve) => setImmediate(resolve));
          const late = events.findIndex((e) => e["event"] === event);
          if (late >= 0) return events.splice(late, 1)[0] as Record<string, unknown>;
          throw failure(`exited with status ${await exited} before its "${event}" event`);
        }
        const left = deadline - performance.now();
        if (left <= 0) throw failure(`printed no "${event}" event within ${waitMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
      }
    },
    writeLine(line) {
      child.stdin?.write(`${line}\n`);
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null || done) return exited;
      child.stdin?.end();
      child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(kill);
      }
    },
  };
}

/** A port that was free on 127.0.0.1 a moment ago. */
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
 * CPU seconds (user + system) the process `pid` has used so far, from /proc/<pid>/stat;
 * 0 when it is gone or /proc is not there.
 */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux.
  } catch {
    return 0;
  }
}

/**
 * Peak resident set size of the live process `pid` since it last exec'd (VmHWM in
 * /proc/<pid>/status), bytes; undefined when it is gone or /proc is not there. Unlike
 * `getrusage().ru_maxrss` inside the child, it does not inherit the spawning process's
 * RSS across fork and exec.
 */
export function peakRssBytesOf(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}
