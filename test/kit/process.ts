/**
 * Child processes for tests: start a real program, wait for its ready line on
 * stdout (bounded), talk to it line by line, and stop it for certain.
 *
 * Every failure message carries the tail of the child's stderr and its last
 * stdout lines, so a failing test says why the peer failed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

/** Options for {@link startProcess}. */
export interface StartProcessOptions {
  /** Name used in error messages (`"pyarrow server"`). */
  readonly name: string;
  /** The executable. */
  readonly command: string;
  readonly args?: readonly string[];
  readonly cwd?: string;
  /** Environment; defaults to this process's environment. */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether a stdout line is the ready signal. Lines before it are kept for diagnostics. */
  readonly isReady: (line: string) => boolean;
  /** Upper bound for the ready line to appear, in milliseconds. Default 30 000. */
  readonly readyTimeoutMs?: number;
  /** Stdout lines held before the child is paused (backpressure). Default 1 000. */
  readonly maxQueuedLines?: number;
  /** Longest accepted stdout line, in bytes. Default 16 MiB. */
  readonly maxLineBytes?: number;
  /** Aborting kills the child and rejects the start. */
  readonly signal?: AbortSignal;
}

/** How a child process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running child process, past its ready line. */
export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  /** The stdout line that signalled readiness. */
  readonly readyLine: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /**
   * The next stdout line. Rejects after `timeoutMs` (default 30 000 ms), when the
   * process exits first, or when `signal` aborts; the message includes stderr.
   */
  nextLine(options?: { readonly timeoutMs?: number; readonly signal?: AbortSignal }): Promise<string>;
  /** Writes one line to stdin, waiting for `drain` when the pipe is full. */
  writeLine(line: string): Promise<void>;
  /** The last 64 KiB of stderr. */
  stderr(): string;
  /** A description of the process state for error messages: exit status, stderr tail, recent stdout. */
  diagnostics(): string;
  /**
   * Closes stdin, sends SIGTERM, then SIGKILL after `graceMs` (default 5 000 ms),
   * and resolves once the process has exited. Safe to call more than once.
   */
  stop(options?: { readonly graceMs?: number }): Promise<ProcessExit>;
}

const STDERR_KEEP = 64 * 1024;
const RECENT_STDOUT = 20;

/**
 * Start `command` and resolve once it prints a line accepted by `isReady`.
 *
 * @throws Error if the process cannot be spawned, exits, or stays silent past
 *   `readyTimeoutMs`; the child is killed and awaited before the rejection.
 */
export async function startProcess(options: StartProcessOptions): Promise<ChildHandle> {
  const child = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const handle = new ProcessLines(options, child);
  try {
    const readyLine = await handle.waitForReady(options.readyTimeoutMs ?? 30_000, options.signal);
    return handle.toHandle(readyLine);
  } catch (error) {
    await handle.stop(2_000);
    throw error;
  }
}

type Waiter = {
  readonly resolve: (line: string) => void;
  readonly reject: (error: Error) => void;
};

/** Line framing, queueing with backpressure, and lifecycle of one child. */
class ProcessLines {
  private readonly queue: string[] = [];
  private readonly recent: string[] = [];
  private partial = "";
  private stderrText = "";
  private waiter: Waiter | undefined;
  private exit: ProcessExit | undefined;
  private failure: Error | undefined;
  readonly exited: Promise<ProcessExit>;
  private readonly maxQueued: number;
  private readonly maxLineBytes: number;

  constructor(
    private readonly options: StartProcessOptions,
    private readonly child: ChildProcess,
  ) {
    this.maxQueued = options.maxQueuedLines ?? 1_000;
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
    this.exited = new Promise<ProcessExit>((resolve) => {
      // "close" rather than "exit": it comes after the last stdout data has been delivered.
      child.once("close", (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
        this.fail(new Error(`${options.name} exited (code ${code}, signal ${signal})\n${this.diagnostics()}`));
      });
      child.once("error", (error) => {
        // Spawn failures may not be followed by "close"; settle here as well.
        this.exit ??= { code: null, signal: null };
        resolve(this.exit);
        this.fail(new Error(`${options.name} could not run ${options.command}: ${error.message}`));
      });
    });
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (text: string) => this.onStdout(text));
    child.stderr?.on("data", (text: string) => {
      this.stderrText = (this.stderrText + text).slice(-STDERR_KEEP);
    });
    // A child that stops reading its stdin must not crash the test process with EPIPE.
    child.stdin?.on("error", () => {});
  }

  private onStdout(text: string): void {
    const pieces = (this.partial + text).split("\n");
    this.partial = pieces.pop() ?? "";
    if (Buffer.byteLength(this.partial) > this.maxLineBytes) {
      this.fail(new Error(`${this.options.name} printed a line longer than ${this.maxLineBytes} bytes`));
      this.partial = "";
    }
    for (const raw of pieces) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      this.recent.push(line);
      if (this.recent.length > RECENT_STDOUT) this.recent.shift();
      const waiter = this.waiter;
      if (waiter) {
        this.waiter = undefined;
        waiter.resolve(line);
      } else {
        this.queue.push(line);
      }
    }
    if (this.queue.length >= this.maxQueued) this.child.stdout?.pause();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  next(timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) {
      if (this.queue.length < this.maxQueued) this.child.stdout?.resume();
      return Promise.resolve(queued);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error(`${this.options.name}: concurrent nextLine() calls`));
    return new Promise<string>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        this.waiter = undefined;
        cleanup();
        reject(signal?.reason instanceof Error ? signal.reason : new Error(`${this.options.name}: aborted`));
      };
      const timer = setTimeout(() => {
        this.waiter = undefined;
        cleanup();
        reject(new Error(`${this.options.name}: no ${what} within ${timeoutMs} ms\n${this.diagnostics()}`));
      }, timeoutMs);
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiter = {
        resolve: (line) => {
          cleanup();
          resolve(line);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      this.child.stdout?.resume();
    });
  }

  async waitForReady(timeoutMs: number, signal: AbortSignal | undefined): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.next(Math.max(1, deadline - Date.now()), signal, "ready line");
      if (this.options.isReady(line)) return line;
    }
  }

  async writeLine(line: string): Promise<void> {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || this.exit) {
      throw new Error(`${this.options.name}: stdin is closed\n${this.diagnostics()}`);
    }
    if (!stdin.write(`${line}\n`)) {
      await Promise.race([once(stdin, "drain"), this.exited]);
    }
  }

  diagnostics(): string {
    const status = this.exit ? `exited with code ${this.exit.code}, signal ${this.exit.signal}` : "still running";
    return [
      `[${this.options.name} (pid ${this.child.pid}): ${status}; command: ${this.options.command} ${(this.options.args ?? []).join(" ")}]`,
      `--- stderr (tail) ---\n${this.stderrText.trimEnd() || "(empty)"}`,
      `--- stdout (last ${this.recent.length} lines) ---\n${this.recent.join("\n") || "(empty)"}`,
    ].join("\n");
  }

  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.stdin?.end();
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  toHandle(readyLine: string): ChildHandle {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`${this.options.name}: no pid after start`);
    return {
      name: this.options.name,
      pid,
      readyLine,
      exited: this.exited,
      nextLine: (opts = {}) => this.next(opts.timeoutMs ?? 30_000, opts.signal, "stdout line"),
      writeLine: (line) => this.writeLine(line),
      stderr: () => this.stderrText,
      diagnostics: () => this.diagnostics(),
      stop: (opts = {}) => this.stop(opts.graceMs ?? 5_000),
    };
  }
}
