/**
 * Test fixtures for the worker's unit tests: small Arrow tables, their IPC messages,
 * and a minimal FlightData parser to check pre-encoded buffers independently of the
 * code under test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Dictionary,
  Int32,
  makeVector,
  type RecordBatch,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import { indexIpcStreamBytes } from "./shard-index.js";
import type { IpcFrame } from "./shard-writer.js";

/** A table of `rows` rows in batches of `batchRows`: id (int32), value (float64), name (utf8), tag (dictionary). */
export function makeTable(rows: number, batchRows = 1000): Table {
  const batches: RecordBatch[] = [];
  const tagType = new Dictionary(new Utf8(), new Int32(), 0);
  for (let start = 0; start < rows; start += batchRows) {
    const n = Math.min(batchRows, rows - start);
    const ids = Int32Array.from({ length: n }, (_, i) => start + i);
    const values = Float64Array.from({ length: n }, (_, i) => (start + i) * 0.5);
    const names = Array.from({ length: n }, (_, i) => `name-${start + i}`);
    const tags = Array.from({ length: n }, (_, i) => ["red", "green", "blue"][(start + i) % 3] as string);
    const t = new Table({
      id: makeVector(ids),
      value: makeVector(values),
      name: vectorFromArray(names, new Utf8()),
      tag: vectorFromArray(tags, tagType),
    });
    batches.push(...t.batches);
  }
  return new Table(batches);
}

/** The IPC messages (views) of `table` as an Arrow IPC stream. */
export function ipcFrames(table: Table): IpcFrame[] {
  const bytes = tableToIPC(table, "stream");
  const index = indexIpcStreamBytes(bytes);
  return index.entries.map((e) => ({
    header: bytes.subarray(e.headerOffset, e.headerOffset + e.headerLength),
    body: bytes.subarray(e.bodyOffset, e.bodyOffset + e.bodyLength),
  }));
}

/** An async iterable over `frames`, optionally failing before frame `failAt`. */
export async function* framesOf(frames: readonly IpcFrame[], failAt?: number): AsyncGenerator<IpcFrame> {
  for (let i = 0; i < frames.length; i++) {
    if (i === failAt) throw new Error("sender went away");
    yield frames[i] as IpcFrame;
  }
}

/** IPC messages of a table with a different schema (one float64 column `x`). */
export function otherSchemaFrames(rows = 10): IpcFrame[] {
  const x = makeVector(Float64Array.from({ length: rows }, (_, i) => i));
  return ipcFrames(new Table({ x }));
}

/** A parsed FlightData message (views of the input). */
export interface ParsedFlightData {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
  /** Offset of the body inside the message. */
  readonly bodyOffset: number;
}

function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const b = bytes[i++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i];
    scale *= 128;
  }
}

/** Parse protobuf FlightData (fields 2 and 1000 only; others skipped if length-delimited). */
export function parseFlightData(bytes: Uint8Array): ParsedFlightData {
  let at = 0;
  let header: Uint8Array = new Uint8Array(0);
  let body: Uint8Array = new Uint8Array(0);
  let bodyOffset = -1;
  while (at < bytes.byteLength) {
    const [tag, afterTag] = varint(bytes, at);
    const [len, start] = varint(bytes, afterTag);
    if ((tag & 7) !== 2) throw new Error(`unexpected wire type in tag ${tag}`);
    const field = Math.floor(tag / 8);
    const value = bytes.subarray(start, start + len);
    if (field === 2) header = value;
    if (field === 1000) {
      body = value;
      bodyOffset = start;
    }
    at = start + len;
  }
  return { header, body, bodyOffset };
}

/** Concatenate IPC frames into an IPC stream (with EOS) for `tableFromIPC`. */
export function streamBytes(frames: readonly IpcFrame[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const padded = Math.ceil(f.header.byteLength / 8) * 8;
    const prefix = Buffer.alloc(8 + padded);
    prefix.writeUInt32LE(0xffffffff, 0);
    prefix.writeInt32LE(padded, 4);
    prefix.set(f.header, 8);
    parts.push(prefix, f.body);
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}

/** A fresh temporary directory and its cleanup. */
export async function tempDir(prefix = "fc-worker-"): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
