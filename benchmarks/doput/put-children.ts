/**
 * Running the benchmark's child processes: a server until its ready line, then a client to
 * its result line. Every child is killed on failure, timeout or harness exit.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { PutClientResult, PutEvent } from "./put-events.js";

/** A command line. */
export interface Command {
  readonly command: string;
  readonly args: readonly string[];
}

const STDERR_TAIL = 4096;
const live = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILLs every child still running (for the harness's exit and signal handlers). */
export function killChildren(): void {
  for (const child of live) child.kill("SIGKILL");
}

/** One child process with its event lines and the tail of its stderr. */
class Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly #name: string;
  readonly #events: PutEvent[] = [];
  #onEvent: () => void = () => {};
  #stderr = "";

  constructor(name: string, command: Command) {
    this.#name = name;
    this.process = spawn(command.command, [...command.args], { stdio: "pipe" });
    live.add(this.process);
    this.process.stderr.setEncoding("utf8");
    this.process.stderr.on("data", (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    this.process.stdin.on("error", () => {}); // EPIPE after an early exit; the exit is reported instead
    createInterface({ input: this.process.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      try {
        this.#events.push(JSON.parse(line) as PutEvent);
      } catch {
        return;
      }
      this.#onEvent();
    });
    this.exited = new Promise((resolve) => {
      this.process.once("error", (error) => {
        this.#stderr += `\nspawn failed: ${error.message}`;
        live.delete(this.process);
        resolve(null);
      });
      this.process.once("close", (code) => {
        live.delete(this.process);
        resolve(code);
      });
    });
  }

  /** The first event of `kind`; rejects (and kills the child) on exit first or after `timeoutMs`. */
  async next<K extends PutEvent["event"]>(kind: K, timeoutMs: number): Promise<Extract<PutEvent, { event: K }>> {
    const take = () => {
      const index = this.#events.findIndex((e) => e.event === kind);
      return index < 0 ? undefined : (this.#events.splice(index, 1)[0] as Extract<PutEvent, { event: K }>);
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise((resolve, reject) => {
        const check = () => {
          const event = take();
          if (event !== undefined) resolve(event);
        };
        this.#onEvent = check;
        check();
        void this.exited.then(async (code) => {
          await new Promise((r) => setImmediate(r)); // lines still in readline's buffer
          check();
          reject(this.failure(`exited with status ${code} before its "${kind}" line`));
        });
        timer = setTimeout(() => {
          this.process.kill("SIGKILL");
          reject(this.failure(`printed no "${kind}" line within ${timeoutMs / 1000} s; killed`));
        }, timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.#onEvent = () => {};
    }
  }

  failure(what: string): Error {
    const tail = this.#stderr.trim();
    return new Error(`${this.#name} ${what}${tail === "" ? "" : `\n--- stderr (tail) ---\n${tail}`}`);
  }
}

/** A server that printed its ready line. */
export interface RunningServer {
  readonly port: number;
  /** Closes its stdin (the stop signal) and waits for it to exit; kills it after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts a server and waits for `{"event":"ready","port":N}`.
 * @throws Error with the stderr tail when it exits or stays silent for `timeoutMs`.
 */
export async function startServer(name: string, command: Command, timeoutMs: number): Promise<RunningServer> {
  const child = new Child(name, command);
  const ready = await child.next("ready", timeoutMs);
  return {
    port: ready.port,
    async stop(stopTimeoutMs) {
      child.process.stdin.end();
      const timer = setTimeout(() => child.process.kill("SIGKILL"), stopTimeoutMs);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs a client to completion.
 * @throws Error with the stderr tail when it fails, prints no result or exceeds `timeoutMs`.
 */
export async function runClient(name: string, command: Command, timeoutMs: number): Promise<PutClientResult> {
  const child = new Child(name, command);
  child.process.stdin.end();
  const result = await child.next("result", timeoutMs);
  const code = await child.exited;
  if (code !== 0) throw child.failure(`exited with status ${code}`);
  return result;
}
