/**
 * Incoming gRPC messages assembled in place, while their bytes are still in cache.
 *
 * grpc-js's `StreamDecoder` (`build/src/stream-decoder.js`, 1.14.7) splits each HTTP/2
 * DATA chunk into length-prefixed messages. It keeps every chunk of a message in a list
 * and joins them with `Buffer.concat` once the last one arrived: one copy, but of bytes
 * that came in up to 2 MiB earlier. With several streams arriving at once (a parallel
 * fetch), those bytes have long left the CPU caches: in a CPU profile of the client
 * benchmark the join cost twice as much per byte when reading eight endpoints at once as
 * when reading one at a time (docs/benchmarks.md, "Client benchmark").
 *
 * {@link installReceiveDecoder} replaces `StreamDecoder.prototype.write` with a decoder
 * that, as soon as a message's length is known, allocates the whole framed message and
 * copies each chunk into it on arrival. Output is byte-for-byte what grpc-js produces (a
 * fresh Buffer holding the 5-byte prefix and the message, 8-aligned at its start, which
 * the zero-copy FlightData decoder relies on), the size limit and its error text are the
 * same, and messages above {@link PREALLOCATE_LIMIT_BYTES} are collected in pieces as
 * before, so that a peer announcing a huge message gets no memory until it sends it.
 * Before installing, the original and the replacement decode the same probe stream (split
 * at awkward places) and must agree; otherwise grpc-js is left alone with one warning.
 */
import { createRequire } from "node:module";

/** Messages up to this size are allocated whole when their length arrives: 64 MiB. */
export const PREALLOCATE_LIMIT_BYTES = 64 * 1024 * 1024;

const PREFIX_BYTES = 5;

/** What our `write` keeps on a `StreamDecoder` instance (under names grpc-js does not use). */
interface DecoderState {
  readonly maxReadMessageLength: number;
  /** Overrides {@link PREALLOCATE_LIMIT_BYTES} (tests). */
  readonly fcPreallocateLimit?: number;
  /** The framed message being filled, or undefined between messages. */
  fcMessage?: Buffer | undefined;
  /** Bytes of `fcMessage` filled so far (prefix included). */
  fcFilled?: number;
  /** For messages above the preallocation limit: the pieces received so far. */
  fcPieces?: Buffer[] | undefined;
  fcPrefix?: Buffer | undefined;
  fcRemaining?: number;
}

type DecoderWrite = (this: DecoderState, data: Buffer) => Buffer[];

function tooLarge(size: number, max: number): Error {
  // The same text as grpc-js, which turns it into RESOURCE_EXHAUSTED.
  return new Error(`Received message larger than max (${size} vs ${max})`);
}

/** Our `StreamDecoder.write`: framed messages completed by `data`, in order. */
const writeInPlace: DecoderWrite = function (data) {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (this.fcPieces !== undefined) {
      // A message above the preallocation limit: collect, join at the end.
      const take = Math.min(data.length - at, this.fcRemaining ?? 0);
      this.fcPieces.push(data.subarray(at, at + take));
      at += take;
      this.fcRemaining = (this.fcRemaining ?? 0) - take;
      if (this.fcRemaining === 0) {
        const pieces = [this.fcPrefix as Buffer, ...this.fcPieces];
        this.fcPieces = undefined;
        this.fcPrefix = undefined;
        out.push(Buffer.concat(pieces));
      }
      continue;
    }
    let message = this.fcMessage;
    let filled = this.fcFilled ?? 0;
    if (message === undefined) {
      // Start of a message: its 5-byte prefix may itself be split across chunks.
      if (filled === 0 && data.length - at >= PREFIX_BYTES) {
        message = startMessage(this, data.readUInt32BE(at + 1), data, at, out);
        at += PREFIX_BYTES;
        if (message === undefined) continue;
        filled = PREFIX_BYTES;
      } else {
        if (this.fcPrefix === undefined) this.fcPrefix = Buffer.alloc(PREFIX_BYTES);
        const prefix = this.fcPrefix;
        const take = Math.min(PREFIX_BYTES - filled, data.length - at);
        data.copy(prefix, filled, at, at + take);
        at += take;
        filled += take;
        this.fcFilled = filled;
        if (filled < PREFIX_BYTES) break;
        this.fcPrefix = undefined;
        this.fcFilled = 0;
        message = startMessage(this, prefix.readUInt32BE(1), prefix, 0, out);
        if (message === undefined) continue;
        filled = PREFIX_BYTES;
      }
    }
    const take = Math.min(data.length - at, message.length - filled);
    data.copy(message, filled, at, at + take);
    at += take;
    filled += take;
    if (filled === message.length) {
      out.push(message);
      this.fcMessage = undefined;
      this.fcFilled = 0;
    } else {
      this.fcMessage = message;
      this.fcFilled = filled;
    }
  }
  return out;
} as DecoderWrite;

/**
 * A message of `size` bytes begins, its prefix at `prefix[prefixAt..+5]`. Returns the
 * buffer to fill, or undefined when the message is already complete (empty) or goes the
 * collecting way (too large to preallocate).
 */
function startMessage(
  state: DecoderState,
  size: number,
  prefix: Buffer,
  prefixAt: number,
  out: Buffer[],
): Buffer | undefined {
  const max = state.maxReadMessageLength;
  if (max !== -1 && size > max) throw tooLarge(size, max);
  if (size > (state.fcPreallocateLimit ?? PREALLOCATE_LIMIT_BYTES)) {
    state.fcPrefix = Buffer.from(prefix.subarray(prefixAt, prefixAt + PREFIX_BYTES));
    state.fcPieces = [];
    state.fcRemaining = size;
    return undefined;
  }
  const message = Buffer.allocUnsafe(PREFIX_BYTES + size);
  prefix.copy(message, 0, prefixAt, prefixAt + PREFIX_BYTES);
  if (size === 0) {
    out.push(message);
    return undefined;
  }
  return message;
}

/** Where the hook reports that grpc-js is not as expected. */
export type ReceiveDecoderWarning = (message: string, fields: Readonly<Record<string, unknown>>) => void;

let installed: "no" | "yes" | "failed" = "no";

/** Whether the in-place decoder is installed (for tests and diagnostics). */
export function receiveDecoderInstalled(): boolean {
  return installed === "yes";
}

/** A probe stream: messages of 0, 3, 70 000 and 9 bytes, cut at awkward places. */
function probeChunks(): Buffer[] {
  const parts: Buffer[] = [];
  for (const size of [0, 3, 70_000, 9]) {
    const m = Buffer.alloc(PREFIX_BYTES + size);
    m.writeUInt32BE(size, 1);
    for (let i = 0; i < size; i++) m[PREFIX_BYTES + i] = (i * 31 + size) & 0xff;
    parts.push(m);
  }
  const all = Buffer.concat(parts);
  const cuts = [1, 2, 6, 9, 13, 14, 40_000, 70_010, all.length - 3, all.length];
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(all.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

function decodeAll(
  decoderClass: new (max: number) => object,
  write: DecoderWrite,
  chunks: readonly Buffer[],
): Buffer[] {
  const instance = new decoderClass(-1) as DecoderState;
  const out: Buffer[] = [];
  for (const chunk of chunks) out.push(...write.call(instance, chunk));
  return out;
}

/**
 * Install the in-place decoder (once per process; later calls do nothing). Never throws:
 * if grpc-js's decoder is missing or decodes the probe differently, it is left alone and
 * `warn` is called once.
 */
export function installReceiveDecoder(warn: ReceiveDecoderWarning): void {
  if (installed !== "no") return;
  const problem = hook();
  installed = problem === undefined ? "yes" : "failed";
  if (problem !== undefined) {
    warn("grpc-js internals not as expected; incoming messages are joined after their last chunk", { problem });
  }
}

/**
 * The replacement's result on `chunks` for a decoder limited to `max` bytes (-1: no
 * limit) that preallocates messages up to `preallocateLimit` bytes: the framed messages,
 * or the error text.
 */
export function decodeInPlace(
  chunks: readonly Buffer[],
  max = -1,
  preallocateLimit = PREALLOCATE_LIMIT_BYTES,
): Buffer[] | string {
  const state: DecoderState = { maxReadMessageLength: max, fcPreallocateLimit: preallocateLimit };
  const out: Buffer[] = [];
  try {
    for (const chunk of chunks) out.push(...writeInPlace.call(state, chunk));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return out;
}

function hook(): string | undefined {
  const path = "@grpc/grpc-js/build/src/stream-decoder.js";
  let decoderClass: unknown;
  try {
    decoderClass = (createRequire(import.meta.url)(path) as { StreamDecoder?: unknown }).StreamDecoder;
  } catch (error) {
    return `cannot load ${path} (${error instanceof Error ? error.message : String(error)})`;
  }
  if (typeof decoderClass !== "function" || typeof decoderClass.prototype?.write !== "function") {
    return "StreamDecoder.write is missing";
  }
  const ctor = decoderClass as new (max: number) => object;
  const proto = ctor.prototype as Record<string, unknown>;
  const chunks = probeChunks();
  try {
    const expected = decodeAll(ctor, proto["write"] as DecoderWrite, chunks);
    const got = decodeAll(ctor, writeInPlace, chunks);
    const same = got.length === expected.length && got.every((m, i) => m.equals(expected[i] as Buffer));
    if (!same) return "StreamDecoder decodes the probe stream differently";
    const limited = new ctor(2) as DecoderState;
    if (limited.maxReadMessageLength !== 2) return "StreamDecoder keeps its size limit elsewhere";
  } catch (error) {
    return `StreamDecoder probe threw (${error instanceof Error ? error.message : String(error)})`;
  }
  proto["write"] = writeInPlace;
  return undefined;
}
