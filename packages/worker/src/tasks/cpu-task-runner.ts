/**
 * The piscina entry point: runs one {@link CpuTask} in a worker thread and returns a
 * {@link CpuTaskResult}. Never throws: failures become `{kind: "error"}`. Result bytes
 * are moved (transferred) back to the main thread, never copied.
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { move, transferableSymbol, valueSymbol } from "piscina";
import { sha256File } from "../digest.js";
import { InvalidShardStreamError, WorkerInvalidArgumentError } from "../worker-errors.js";
import { type CpuTask, type CpuTaskResult, ownedBytes, packBytes, unpackBytes } from "./cpu-task.js";
import { parquetToIpcStream } from "./parquet-to-ipc.js";
import { rechunkBatch } from "./rechunk-batch.js";
import { serializeError } from "./serialized-error.js";

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const brotli = promisify(zlib.brotliCompress);
const unbrotli = promisify(zlib.brotliDecompress);

function one(parts: Uint8Array[], what: string): Uint8Array {
  const [first] = parts;
  if (first === undefined || parts.length !== 1)
    throw new WorkerInvalidArgumentError(`${what}: expected one byte part`);
  return first;
}

async function compress(task: Extract<CpuTask, { kind: "compress" }>): Promise<Uint8Array> {
  const input = one(unpackBytes(task.bytes), "compress");
  if (task.codec === "gzip") return gzip(input, task.level === undefined ? {} : { level: task.level });
  const params = task.level === undefined ? {} : { [zlib.constants.BROTLI_PARAM_QUALITY]: task.level };
  return brotli(input, { params });
}

async function decompress(task: Extract<CpuTask, { kind: "decompress" }>): Promise<Uint8Array> {
  const input = one(unpackBytes(task.bytes), "decompress");
  const options = { maxOutputLength: task.maxOutputBytes };
  return task.codec === "gzip" ? gunzip(input, options) : unbrotli(input, options);
}

/** Run a task on the current thread (the pool's inline mode uses this directly). Throws on failure. */
export async function executeCpuTask(task: CpuTask): Promise<CpuTaskResult> {
  switch (task.kind) {
    case "digest-file": {
      const digest = await sha256File(task.path);
      return { kind: "digest", digest, bytes: -1 };
    }
    case "digest-bytes": {
      const bytes = one(unpackBytes(task.bytes), "digest-bytes");
      return {
        kind: "digest",
        digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
        bytes: bytes.byteLength,
      };
    }
    case "rechunk-batch": {
      const context = unpackBytes(task.context);
      const batch = unpackBytes(task.batch);
      if (context.length < 1 || context.length % 2 !== 1 || batch.length !== 2) {
        throw new InvalidShardStreamError("rechunk-batch: expected a schema, dictionary pairs and one batch");
      }
      const [schemaHeader, ...rest] = context as [Uint8Array, ...Uint8Array[]];
      const dictionaries = [];
      for (let i = 0; i + 1 < rest.length; i += 2) {
        dictionaries.push({ header: rest[i] as Uint8Array, body: rest[i + 1] as Uint8Array });
      }
      const frame = { header: batch[0] as Uint8Array, body: batch[1] as Uint8Array };
      const frames = rechunkBatch(schemaHeader, dictionaries, frame, task.maxMessageBytes);
      return { kind: "frames", messages: packBytes(frames.flatMap((f) => [f.header, f.body])) };
    }
    case "parquet-to-ipc": {
      const ipc = await parquetToIpcStream(one(unpackBytes(task.parquet), "parquet-to-ipc"), task.batchRows);
      return { kind: "bytes", bytes: ownedBytes(ipc) };
    }
    case "compress":
      return { kind: "bytes", bytes: ownedBytes(await compress(task)) };
    case "decompress":
      return { kind: "bytes", bytes: ownedBytes(await decompress(task)) };
  }
}

/**
 * Wrap a result so piscina transfers its byte buffer instead of copying it (piscina
 * unwraps `valueSymbol` and transfers `transferableSymbol` of values marked by `move`).
 */
function transferred(result: CpuTaskResult): CpuTaskResult {
  const buffer =
    result.kind === "frames" ? result.messages.buffer : result.kind === "bytes" ? result.bytes.buffer : undefined;
  if (buffer === undefined || buffer.byteLength === 0) return result;
  const wrapper = { [transferableSymbol]: buffer, [valueSymbol]: result };
  return move(wrapper as unknown as Parameters<typeof move>[0]) as unknown as CpuTaskResult;
}

/** Piscina calls this for every task. */
export default async function runCpuTask(task: CpuTask): Promise<CpuTaskResult> {
  try {
    return transferred(await executeCpuTask(task));
  } catch (error) {
    return { kind: "error", error: serializeError(error) };
  }
}
