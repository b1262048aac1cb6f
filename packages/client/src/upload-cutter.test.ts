import type { FlightDataFrame } from "@flight-cluster/protocol";
import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { UploadCutter, type UploadStep } from "./upload-cutter.js";

function batch(rows: number): RecordBatch {
  return tableFromArrays({ v: new Int32Array(rows) }).batches[0] as RecordBatch;
}

function frame(bodyBytes: number, headerBytes = 100): FlightDataFrame {
  return { header: new Uint8Array(headerBytes), body: new Uint8Array(bodyBytes), appMetadata: new Uint8Array(0) };
}

function kinds(steps: UploadStep[]): string[] {
  return steps.map((s) => (s.kind === "break" ? "|" : `${s.kind}:${s.rows}`));
}

describe("UploadCutter", () => {
  const options = { targetBytes: 1000, maxMessageBytes: 4096, forwardFrames: true };

  it("fills a shard up to the target and starts the next one before overflowing", () => {
    const cutter = new UploadCutter(options);
    expect(kinds(cutter.next(batch(10), frame(400)))).toEqual(["frame:10"]);
    expect(kinds(cutter.next(batch(10), frame(600)))).toEqual(["frame:10"]);
    expect(kinds(cutter.next(batch(10), frame(1)))).toEqual(["|", "frame:10"]);
  });

  it("slices a message larger than the target into target-sized pieces, each its own shard", () => {
    const cutter = new UploadCutter(options);
    cutter.next(batch(4), frame(100));
    const steps = cutter.next(batch(10), frame(2500));
    expect(kinds(steps)).toEqual(["|", "batch:4", "|", "batch:4", "|", "batch:2"]);
    // The last piece counts 500 bytes: 500 more fit, 501 do not.
    expect(kinds(cutter.next(batch(1), frame(500)))).toEqual(["frame:1"]);
    expect(kinds(cutter.next(batch(1), frame(1)))).toEqual(["|", "frame:1"]);
  });

  it("re-encodes messages near the limit and every message of a stream with dictionaries", () => {
    expect(kinds(new UploadCutter(options).next(batch(3), frame(900, 3133)))).toEqual(["batch:3"]);
    expect(kinds(new UploadCutter(options).next(batch(3), frame(900, 3132)))).toEqual(["frame:3"]);
    expect(kinds(new UploadCutter({ ...options, forwardFrames: false }).next(batch(3), frame(10)))).toEqual([
      "batch:3",
    ]);
  });

  it("keeps a one-row message larger than the target whole", () => {
    expect(kinds(new UploadCutter(options).next(batch(1), frame(3000)))).toEqual(["frame:1"]);
  });
});
