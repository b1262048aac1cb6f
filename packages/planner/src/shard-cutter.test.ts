import type { FlightDataFrame } from "@flight-cluster/protocol";
import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { type CutStep, ShardCutter } from "./shard-cutter.js";

function batchOf(rows: number): RecordBatch {
  const table = tableFromArrays({ id: Int32Array.from({ length: rows }, (_, i) => i) });
  return table.batches[0] as RecordBatch;
}

function frameOf(bodyBytes: number, headerBytes = 100): FlightDataFrame {
  return { header: new Uint8Array(headerBytes), body: new Uint8Array(bodyBytes), appMetadata: new Uint8Array() };
}

/** Group steps into shards: arrays of rows per forwarded/encoded piece. */
function shards(steps: readonly CutStep[]): number[][] {
  const out: number[][] = [[]];
  for (const step of steps) {
    if (step.kind === "break") out.push([]);
    else out[out.length - 1]?.push(step.rows);
  }
  return out;
}

describe("ShardCutter", () => {
  it("fills shards up to the target without splitting batches", () => {
    const cutter = new ShardCutter({ targetBytes: 1000, maxMessageBytes: 1 << 20, forwardFrames: true });
    const steps = [300, 300, 300, 300, 700, 200, 1000].flatMap((size) => cutter.batch(batchOf(10), frameOf(size)));
    expect(shards(steps)).toEqual([[10, 10, 10], [10, 10], [10], [10]]);
    expect(steps.every((step) => step.kind !== "batch")).toBe(true);
  });

  it("forwards the original frame object when it fits the message limit", () => {
    const cutter = new ShardCutter({ targetBytes: 1 << 20, maxMessageBytes: 4096, forwardFrames: true });
    const frame = frameOf(1000);
    const [step] = cutter.batch(batchOf(5), frame);
    expect(step).toEqual({ kind: "frame", frame, rows: 5 });
    const [big] = cutter.batch(batchOf(5), frameOf(5000));
    expect(big?.kind).toBe("batch");
  });

  it("re-encodes every batch when frames may not be forwarded (dictionaries)", () => {
    const cutter = new ShardCutter({ targetBytes: 1 << 20, maxMessageBytes: 1 << 20, forwardFrames: false });
    const batch = batchOf(5);
    expect(cutter.batch(batch, frameOf(10))).toEqual([{ kind: "batch", batch, rows: 5 }]);
  });

  it("slices a batch larger than a shard into target-sized pieces, each its own shard", () => {
    const cutter = new ShardCutter({ targetBytes: 1000, maxMessageBytes: 1 << 20, forwardFrames: true });
    const first = cutter.batch(batchOf(10), frameOf(400));
    const steps = [...first, ...cutter.batch(batchOf(1000), frameOf(3500)), ...cutter.batch(batchOf(10), frameOf(100))];
    // 3500 bytes over a 1000-byte target: 4 pieces of 250 rows; the small batch joins the last piece.
    expect(shards(steps)).toEqual([[10], [250], [250], [250], [250, 10]]);
    const sliced = steps.filter((step) => step.kind === "batch");
    expect(sliced.map((step) => step.kind === "batch" && step.batch.numRows)).toEqual([250, 250, 250, 250]);
    const values = sliced.flatMap((step) => (step.kind === "batch" ? [...step.batch.getChild("id")!] : []));
    expect(values).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("keeps a single oversized row whole", () => {
    const cutter = new ShardCutter({ targetBytes: 10, maxMessageBytes: 1 << 20, forwardFrames: true });
    const steps = [...cutter.batch(batchOf(1), frameOf(50)), ...cutter.batch(batchOf(1), frameOf(50))];
    expect(shards(steps)).toEqual([[1], [1]]);
  });

  it("never starts with a break and rejects a non-positive target", () => {
    const cutter = new ShardCutter({ targetBytes: 10, maxMessageBytes: 1 << 20, forwardFrames: true });
    expect(cutter.batch(batchOf(100), frameOf(1000))[0]?.kind).toBe("batch");
    expect(() => new ShardCutter({ targetBytes: 0, maxMessageBytes: 1, forwardFrames: true })).toThrow(/targetBytes/);
  });
});
