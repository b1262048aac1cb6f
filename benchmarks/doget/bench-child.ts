/**
 * Starting the benchmark's child processes and reading their JSON event lines
 * (see bench-events.ts for the protocol).
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { BenchEvent, ClientResultEvent, ExitEvent, ReadyEvent } from "./bench-events.js";

/** A command line to run. */
export interface Command {
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory (the harness's when omitted). */
  readonly cwd?: string;
}

/** A server that printed its ready event. */
export interface RunningServer {
  /** The ready event (port and scenario facts). */
  readonly ready: ReadyEvent;
  /**
   * Closes the server's stdin (its stop signal) and waits for its exit event and exit.
   * @throws Error when it exits without an exit event, or does not exit within `timeoutMs` (then it is killed).
   */
  stop(timeoutMs: number): Promise<ExitEvent>;
}

const STDERR_TAIL_BYTES = 8 * 1024;
const live = new Set<ChildProcessWithoutNullStreams>();

/** Kills (SIGKILL) every child this module started that is still running. For the harness's signal handlers. */
export function killAllChildren(): void {
  for (const child of live) child.kill("SIGKILL");
}

/** One child with its parsed events and the tail of its stderr. */
class BenchChild {
  readonly process: ChildProcessWithoutNullStreams;
  private readonly name: string;
  private stderrTail = "";
  private readonly waiters: Array<{ kind: BenchEvent["event"]; resolve: (event: BenchEvent) => void }> = [];
  private readonly received: BenchEvent[] = [];
  readonly exited: Promise<number | null>;

  constructor(name: string, command: Command) {
    this.name = name;
    this.process = spawn(command.command, [...command.args], { cwd: command.cwd, stdio: "pipe" });
    live.add(this.process);
    this.process.stderr.setEncoding("utf8");
    this.process.stderr.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });
    // Writing to a child that already exited raises EPIPE on stdin; exit handling reports the failure.
    this.process.stdin.on("error", () => {});
    const lines = createInterface({ input: this.process.stdout });
    lines.on("line", (line) => this.onLine(line));
    this.exited = new Promise((resolve) => {
      this.process.once("error", (error) => {
        this.stderrTail += `\nspawn failed: ${error.message}`;
        live.delete(this.process);
        resolve(null);
      });
      this.process.once("close", (code) => {
        live.delete(this.process);
        resolve(code);
      });
    });
  }

  private onLine(line: string): void {
    if (!line.startsWith("{")) return;
    let event: BenchEvent;
    try {
      event = JSON.parse(line) as BenchEvent;
    } catch {
      return;
    }
    const index = this.waiters.findIndex((waiter) => waiter.kind === event.event);
    const waiter = index >= 0 ? this.waiters.splice(index, 1)[0] : undefined;
    if (waiter) waiter.resolve(event);
    else this.received.push(event);
  }

  /** Resolves with the first event of `kind`; rejects if the process exits first or `timeoutMs` passes. */
  async next<K extends BenchEvent["event"]>(kind: K, timeoutMs: number): Promise<Extract<BenchEvent, { event: K }>> {
    type Wanted = Extract<BenchEvent, { event: K }>;
    const early = this.received.findIndex((event) => event.event === kind);
    if (early >= 0) return this.received.splice(early, 1)[0] as Wanted;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        new Promise<Wanted>((resolve) => {
          this.waiters.push({ kind, resolve: (event) => resolve(event as Wanted) });
        }),
        this.exited.then(async (code) => {
          // Lines may still be in the readline buffer when "close" fires; give them one turn.
          await new Promise((resolve) => setImmediate(resolve));
          const late = this.received.findIndex((event) => event.event === kind);
          if (late >= 0) return this.received.splice(late, 1)[0] as Wanted;
          throw this.failure(`exited with status ${code} before its "${kind}" event`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.process.kill("SIGKILL");
            reject(this.failure(`printed no "${kind}" event within ${timeoutMs / 1000} s; killed`));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** An error naming the process, with the tail of its stderr. */
  failure(what: string): Error {
    const tail = this.stderrTail.trim();
    return new Error(`${this.name} ${what}${tail ? `\n--- stderr (tail) ---\n${tail}` : ""}`);
  }
}

/**
 * Starts a server process and waits for its ready event.
 *
 * @param name for error messages (e.g. "b server").
 * @param readyTimeoutMs how long loading and binding may take.
 * @throws Error (with the stderr tail) when the server exits or stays silent; it is killed then.
 */
export async function startServer(name: string, command: Command, readyTimeoutMs: number): Promise<RunningServer> {
  const child = new BenchChild(name, command);
  let ready: ReadyEvent;
  try {
    ready = await child.next("ready", readyTimeoutMs);
  } catch (error) {
    child.process.kill("SIGKILL");
    await child.exited;
    throw error;
  }
  return {
    ready,
    stop: async (timeoutMs) => {
      child.process.stdin.end();
      const exit = await child.next("exit", timeoutMs);
      await child.exited;
      return exit;
    },
  };
}

/**
 * Runs a client process to completion and returns its result event.
 *
 * @throws Error (with the stderr tail) when the client fails, exits without a result or exceeds `timeoutMs` (then it is killed).
 */
export async function runClient(name: string, command: Command, timeoutMs: number): Promise<ClientResultEvent> {
  const child = new BenchChild(name, command);
  child.process.stdin.end();
  const result = await child.next("result", timeoutMs);
  const code = await child.exited;
  if (code !== 0) throw child.failure(`exited with status ${code}`);
  return result;
}
