/**
 * The worker's CPU pool: digests, re-chunking, Parquet decoding and compression in
 * piscina worker threads, so the event loop keeps serving streams meanwhile.
 *
 * Tasks and results are discriminated unions (tasks/cpu-task.ts); byte payloads are
 * packed into one ArrayBuffer and transferred. At most `threads * 2` tasks are handed
 * to piscina at once; further callers wait their turn (each caller awaits its own
 * task, so the wait list is bounded by the number of callers). With `threads: 0` the
 * same tasks run inline on the main thread (for measurements and tiny deployments).
 *
 * The thread entry is the compiled `dist/tasks/cpu-task-runner.js`: when this module
 * runs from TypeScript sources (unit tests), the pool uses the build output next to
 * them, so build first (`pnpm exec tsc --build`).
 */
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import type { IpcFrame, RechunkContext, RechunkOptions, ShardRechunker } from "./shard-writer.js";
import {
  type CompressionCodec,
  type CpuTask,
  type CpuTaskResult,
  ownedBytes,
  type PackedBytes,
  packBytes,
  unpackBytes,
} from "./tasks/cpu-task.js";
import { executeCpuTask } from "./tasks/cpu-task-runner.js";
import { rechunkBatch } from "./tasks/rechunk-batch.js";
import { deserializeError, serializeError } from "./tasks/serialized-error.js";
import { CpuPoolClosedError, CpuTaskError, WorkerOptionsError } from "./worker-errors.js";

/** Options of {@link createCpuPool}. */
export interface CpuPoolOptions {
  /** Worker threads (0 runs tasks inline on the calling thread). Default 1. */
  readonly threads?: number;
  /** Milliseconds an idle thread lives. Default 30,000. */
  readonly idleTimeoutMs?: number;
  /** Told about every finished task (kind, outcome, seconds). */
  readonly onTask?: (kind: string, outcome: "ok" | "error" | "cancelled", seconds: number) => void;
}

/** Counters of a pool. */
export interface CpuPoolStats {
  readonly threads: number;
  /** Tasks running or queued in piscina. */
  readonly active: number;
  /** Callers waiting for a slot. */
  readonly waiting: number;
  readonly completed: number;
  readonly failed: number;
}

/** Options of byte-producing tasks. */
export interface CpuTaskOptions {
  readonly signal?: AbortSignal | undefined;
  /** The caller gives up `bytes` (its whole ArrayBuffer is moved, not copied). Default false: copied. */
  readonly transfer?: boolean | undefined;
}

/** CPU-heavy work off the event loop. Every method rejects with the task's own error class. */
export interface CpuPool extends ShardRechunker {
  readonly threads: number;
  /** `sha256:<hex>` of a file. */
  digestFile(path: string, signal?: AbortSignal): Promise<string>;
  /** `sha256:<hex>` of bytes. */
  digestBytes(bytes: Uint8Array, options?: CpuTaskOptions): Promise<string>;
  /** Parquet file bytes to an Arrow IPC stream. @throws WorkerInvalidArgumentError for unreadable Parquet. */
  parquetToIpc(bytes: Uint8Array, options?: CpuTaskOptions & { readonly batchRows?: number }): Promise<Uint8Array>;
  /** Compress bytes with gzip or brotli (level: codec's scale). */
  compress(
    bytes: Uint8Array,
    codec: CompressionCodec,
    options?: CpuTaskOptions & { readonly level?: number },
  ): Promise<Uint8Array>;
  /** Decompress bytes, failing past `maxOutputBytes`. */
  decompress(
    bytes: Uint8Array,
    codec: CompressionCodec,
    options: CpuTaskOptions & { readonly maxOutputBytes: number },
  ): Promise<Uint8Array>;
  stats(): CpuPoolStats;
  /** Wait for running tasks and stop the threads. Later calls reject with CpuPoolClosedError. */
  close(): Promise<void>;
}

/** Slack allowed around a moved frame's bytes in its buffer (a gRPC message's prefix and other fields). */
const MOVABLE_SLACK_BYTES = 4 * 1024;

/**
 * The frame's own buffer as packed bytes, when header and body are views of one plain
 * ArrayBuffer holding nothing much else (a received gRPC message); undefined otherwise.
 * Moving it detaches the caller's views.
 */
function movableFrame(frame: IpcFrame): PackedBytes | undefined {
  const buffer = frame.body.buffer;
  if (!(buffer instanceof ArrayBuffer) || frame.header.buffer !== buffer) return undefined;
  if (buffer.byteLength > frame.header.byteLength + frame.body.byteLength + MOVABLE_SLACK_BYTES) return undefined;
  return {
    buffer,
    parts: [
      [frame.header.byteOffset, frame.header.byteLength],
      [frame.body.byteOffset, frame.body.byteLength],
    ],
  };
}

/** Locate the compiled thread entry (dist/tasks/cpu-task-runner.js). */
function runnerFile(): string {
  const here = new URL("./tasks/cpu-task-runner.js", import.meta.url);
  const candidates = [fileURLToPath(here)];
  if (/[/\\]src[/\\]tasks[/\\]/.test(candidates[0] as string)) {
    candidates.push((candidates[0] as string).replace(/([/\\])src([/\\])tasks([/\\])/, "$1dist$2tasks$3"));
  }
  for (const c of candidates) if (existsSync(c)) return pathToFileURL(c).href;
  throw new WorkerOptionsError(`CPU pool: thread entry not found (${candidates.join(", ")}); build with tsc --build`);
}

/** Node options a pool thread inherits from the parent, with the value that follows them (if any). */
const THREAD_OPTIONS_WITH_VALUE = new Set(["--import", "--require", "-r", "--loader", "--experimental-loader"]);
const THREAD_OPTIONS = new Set(["--enable-source-maps", "--no-warnings", "--no-deprecation", "--trace-warnings"]);
/** Dropped options written as two arguments (`--conditions dev`): their value is dropped too. */
const OPTIONS_WITH_VALUE_DROPPED = new Set(["--conditions", "-C", "--title"]);

/**
 * The parent's Node options that a pool thread should share: module loaders and hooks
 * (`--import`, `--require`, `--loader`), source maps and warning switches. Everything else
 * stays with the process: `--conditions` (threads load the compiled JavaScript of sibling
 * packages, never their TypeScript sources), and V8 or process-wide options such as
 * `--max-old-space-size` or `--heap-growing-percent`, which `new Worker` rejects
 * (ERR_WORKER_INVALID_EXEC_ARGV); V8's flags are process-wide, so threads see them anyway.
 * @param args - the parent's options; default `process.execArgv`.
 */
export function threadExecArgv(args: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const name = a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    if (THREAD_OPTIONS_WITH_VALUE.has(name)) {
      if (name === a && i + 1 < args.length) out.push(a, args[++i] as string);
      else out.push(a);
    } else if (THREAD_OPTIONS.has(a)) {
      out.push(a);
    } else if (OPTIONS_WITH_VALUE_DROPPED.has(a)) {
      i++;
    }
  }
  return out;
}

type Runner = (task: CpuTask, transferList: ArrayBuffer[], signal: AbortSignal | undefined) => Promise<CpuTaskResult>;

class Pool implements CpuPool {
  readonly threads: number;
  readonly #run: Runner;
  readonly #close: () => Promise<void>;
  readonly #limit: number;
  readonly #waiters: Array<() => void> = [];
  #active = 0;
  #completed = 0;
  #failed = 0;
  #closed = false;

  readonly #onTask: NonNullable<CpuPoolOptions["onTask"]>;

  constructor(threads: number, run: Runner, close: () => Promise<void>, onTask: CpuPoolOptions["onTask"]) {
    this.threads = threads;
    this.#onTask = onTask ?? (() => undefined);
    this.#run = run;
    this.#close = close;
    this.#limit = Math.max(1, threads * 2);
  }

  async #submit(task: CpuTask, transferList: ArrayBuffer[], signal: AbortSignal | undefined): Promise<CpuTaskResult> {
    if (this.#closed) throw new CpuPoolClosedError("the CPU pool is closed");
    signal?.throwIfAborted();
    while (this.#active >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
      if (this.#closed) throw new CpuPoolClosedError("the CPU pool is closed");
      signal?.throwIfAborted();
    }
    this.#active++;
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    let result: CpuTaskResult;
    try {
      result = await this.#run(task, transferList, signal);
    } catch (error) {
      this.#failed++;
      this.#onTask(task.kind, signal?.aborted ? "cancelled" : "error", seconds());
      if (signal?.aborted) throw signal.reason;
      throw error instanceof Error && error.name !== "Error"
        ? error
        : new CpuTaskError(`${task.kind} failed`, { cause: error });
    } finally {
      this.#active--;
      this.#waiters.shift()?.();
    }
    if (result.kind === "error") {
      this.#failed++;
      this.#onTask(task.kind, "error", seconds());
      throw deserializeError(result.error, task.kind);
    }
    this.#completed++;
    this.#onTask(task.kind, "ok", seconds());
    return result;
  }

  #input(
    bytes: Uint8Array,
    transfer: boolean | undefined,
  ): { packed: ReturnType<typeof packBytes>; list: ArrayBuffer[] } {
    const packed = transfer === true ? ownedBytes(bytes) : packBytes([bytes]);
    return { packed, list: [packed.buffer] };
  }

  async digestFile(path: string, signal?: AbortSignal): Promise<string> {
    const result = await this.#submit({ kind: "digest-file", path }, [], signal);
    if (result.kind !== "digest") throw new CpuTaskError(`digest-file returned ${result.kind}`);
    return result.digest;
  }

  async digestBytes(bytes: Uint8Array, options: CpuTaskOptions = {}): Promise<string> {
    const { packed, list } = this.#input(bytes, options.transfer);
    const result = await this.#submit({ kind: "digest-bytes", bytes: packed }, list, options.signal);
    if (result.kind !== "digest") throw new CpuTaskError(`digest-bytes returned ${result.kind}`);
    return result.digest;
  }

  async rechunk(
    context: RechunkContext,
    batch: IpcFrame,
    maxMessageBytes: number,
    options: RechunkOptions = {},
  ): Promise<IpcFrame[]> {
    if (this.threads === 0) {
      // Inline: no thread boundary, so no packing or copying.
      return this.#inline("rechunk-batch", options.signal, () =>
        rechunkBatch(context.schemaHeader, context.dictionaries, batch, maxMessageBytes),
      );
    }
    const packedContext = packBytes([context.schemaHeader, ...context.dictionaries.flatMap((d) => [d.header, d.body])]);
    const packedBatch = options.transfer === true ? movableFrame(batch) : undefined;
    const batchBytes = packedBatch ?? packBytes([batch.header, batch.body]);
    const task: CpuTask = { kind: "rechunk-batch", context: packedContext, batch: batchBytes, maxMessageBytes };
    const result = await this.#submit(task, [packedContext.buffer, batchBytes.buffer], options.signal);
    if (result.kind !== "frames") throw new CpuTaskError(`rechunk-batch returned ${result.kind}`);
    const out = unpackBytes(result.messages);
    const frames: IpcFrame[] = [];
    for (let i = 0; i + 1 < out.length; i += 2)
      frames.push({ header: out[i] as Uint8Array, body: out[i + 1] as Uint8Array });
    return frames;
  }

  async #inline<T>(kind: string, signal: AbortSignal | undefined, run: () => T): Promise<T> {
    if (this.#closed) throw new CpuPoolClosedError("the CPU pool is closed");
    signal?.throwIfAborted();
    const started = performance.now();
    try {
      const value = run();
      this.#completed++;
      this.#onTask(kind, "ok", (performance.now() - started) / 1000);
      return value;
    } catch (error) {
      this.#failed++;
      this.#onTask(kind, "error", (performance.now() - started) / 1000);
      throw error;
    }
  }

  async #bytes(task: CpuTask, list: ArrayBuffer[], signal: AbortSignal | undefined): Promise<Uint8Array> {
    const result = await this.#submit(task, list, signal);
    if (result.kind !== "bytes") throw new CpuTaskError(`${task.kind} returned ${result.kind}`);
    return unpackBytes(result.bytes)[0] ?? new Uint8Array(0);
  }

  parquetToIpc(bytes: Uint8Array, options: CpuTaskOptions & { readonly batchRows?: number } = {}): Promise<Uint8Array> {
    const { packed, list } = this.#input(bytes, options.transfer);
    return this.#bytes({ kind: "parquet-to-ipc", parquet: packed, batchRows: options.batchRows }, list, options.signal);
  }

  compress(
    bytes: Uint8Array,
    codec: CompressionCodec,
    options: CpuTaskOptions & { readonly level?: number } = {},
  ): Promise<Uint8Array> {
    const { packed, list } = this.#input(bytes, options.transfer);
    return this.#bytes({ kind: "compress", codec, level: options.level, bytes: packed }, list, options.signal);
  }

  decompress(
    bytes: Uint8Array,
    codec: CompressionCodec,
    options: CpuTaskOptions & { readonly maxOutputBytes: number },
  ): Promise<Uint8Array> {
    const { packed, list } = this.#input(bytes, options.transfer);
    const task: CpuTask = { kind: "decompress", codec, maxOutputBytes: options.maxOutputBytes, bytes: packed };
    return this.#bytes(task, list, options.signal);
  }

  stats(): CpuPoolStats {
    return {
      threads: this.threads,
      active: this.#active,
      waiting: this.#waiters.length,
      completed: this.#completed,
      failed: this.#failed,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
    await this.#close();
  }
}

/**
 * Start a CPU pool of `threads` worker threads (0: inline on the calling thread).
 * @throws WorkerOptionsError for a bad thread count or when the compiled thread entry is missing.
 */
export function createCpuPool(options: CpuPoolOptions = {}): CpuPool {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 0 || threads > 64) {
    throw new WorkerOptionsError(`cpu pool threads must be an integer in 0..64, got ${threads}`);
  }
  if (threads === 0) {
    const inline: Runner = async (task) => {
      try {
        return await executeCpuTask(task);
      } catch (error) {
        return { kind: "error", error: serializeError(error) };
      }
    };
    return new Pool(0, inline, async () => undefined, options.onTask);
  }
  const piscina = new Piscina<CpuTask, CpuTaskResult>({
    filename: runnerFile(),
    minThreads: 1,
    maxThreads: threads,
    idleTimeout: options.idleTimeoutMs ?? 30_000,
    maxQueue: threads * 4,
    execArgv: threadExecArgv(),
  });
  const run: Runner = (task, transferList, signal) =>
    piscina.run(task, { transferList, ...(signal === undefined ? {} : { signal }) });
  return new Pool(threads, run, () => piscina.close(), options.onTask);
}
