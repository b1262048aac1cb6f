import { type RecordBatch, tableFromArrays } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { BatchMerge } from "./batch-merge.js";
import { ByteBudget } from "./byte-budget.js";

function batch(value: number): RecordBatch {
  return tableFromArrays({ v: Int32Array.of(value) }).batches[0] as RecordBatch;
}

async function drain(merge: BatchMerge): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const r = await merge.next();
    if (r.done) return out;
    out.push(r.value.getChild("v")?.get(0) as number);
  }
}

const signal = new AbortController().signal;

describe("BatchMerge", () => {
  it("ordered: yields endpoint by endpoint whatever the arrival order", async () => {
    const merge = new BatchMerge(3, true, new ByteBudget(1000));
    await merge.push(2, batch(20), 10, signal);
    await merge.push(1, batch(10), 10, signal);
    merge.endpointDone(2);
    await merge.push(0, batch(0), 10, signal);
    await merge.push(0, batch(1), 10, signal);
    merge.endpointDone(0);
    merge.endpointDone(1);
    expect(await drain(merge)).toEqual([0, 1, 10, 20]);
  });

  it("ordered: a full budget never blocks the head endpoint (look-ahead waits instead)", async () => {
    const budget = new ByteBudget(20);
    const merge = new BatchMerge(2, true, budget);
    await merge.push(1, batch(10), 20, signal);
    let lookAheadQueued = false;
    const lookAhead = merge.push(1, batch(11), 20, signal).then(() => {
      lookAheadQueued = true;
    });
    // The head (endpoint 0) still gets in although the budget is used up.
    await merge.push(0, batch(0), 20, signal);
    expect(lookAheadQueued).toBe(false);
    expect(budget.used).toBe(40);
    merge.endpointDone(0);
    const first = await merge.next();
    expect(first.value?.getChild("v")?.get(0)).toBe(0);
    await merge.next();
    await lookAhead;
    merge.endpointDone(1);
    expect((await merge.next()).value?.getChild("v")?.get(0)).toBe(11);
    expect((await merge.next()).done).toBe(true);
    expect(budget.used).toBe(0);
  });

  it("unordered: yields in arrival order and bounds what is queued", async () => {
    const budget = new ByteBudget(25);
    const merge = new BatchMerge(2, false, budget);
    await merge.push(1, batch(10), 10, signal);
    await merge.push(0, batch(0), 10, signal);
    let third = false;
    const waiting = merge.push(0, batch(1), 10, signal).then(() => {
      third = true;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    expect((await merge.next()).value?.getChild("v")?.get(0)).toBe(10);
    await waiting;
    merge.endpointDone(0);
    merge.endpointDone(1);
    expect(await drain(merge)).toEqual([0, 1]);
  });

  it("a failure rejects the consumer and waiting producers", async () => {
    const merge = new BatchMerge(1, false, new ByteBudget(10));
    await merge.push(0, batch(0), 10, signal);
    const blocked = merge.push(0, batch(1), 10, signal);
    merge.fail(new Error("endpoint 0 failed"));
    await expect(blocked).rejects.toThrow("endpoint 0 failed");
    await expect(merge.next()).rejects.toThrow("endpoint 0 failed");
  });
});
