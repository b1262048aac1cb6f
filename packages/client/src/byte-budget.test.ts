import { FlightCancelledError } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { ByteBudget } from "./byte-budget.js";

describe("ByteBudget", () => {
  it("admits what fits and makes the rest wait in order until released", async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(60);
    const order: string[] = [];
    const b = budget.acquire(50).then(() => order.push("b"));
    const c = budget.acquire(10).then(() => order.push("c"));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(budget.waiting).toBe(2);
    budget.release(60);
    await Promise.all([b, c]);
    expect(order).toEqual(["b", "c"]);
    expect(budget.used).toBe(60);
  });

  it("admits an oversized request once nothing else is held", async () => {
    const budget = new ByteBudget(10);
    await budget.acquire(5);
    let admitted = false;
    const big = budget.acquire(1000).then(() => {
      admitted = true;
    });
    await Promise.resolve();
    expect(admitted).toBe(false);
    budget.release(5);
    await big;
    expect(budget.used).toBe(1000);
  });

  it("serves lower priorities first and lets bypassing waiters through at once", async () => {
    const budget = new ByteBudget(10);
    await budget.acquire(10);
    const order: number[] = [];
    const late = budget.acquire(5, { priority: 3 }).then(() => order.push(3));
    const early = budget.acquire(5, { priority: 1 }).then(() => order.push(1));
    let open = false;
    const bypass = budget.acquire(7, { priority: 9, bypass: () => open }).then(() => order.push(9));
    open = true;
    budget.poke();
    await bypass;
    expect(order).toEqual([9]);
    budget.release(17);
    await Promise.all([early, late]);
    expect(order).toEqual([9, 1, 3]);
  });

  it("rejects waiters on abort and on failure", async () => {
    const budget = new ByteBudget(1);
    await budget.acquire(1);
    const controller = new AbortController();
    const aborted = budget.acquire(1, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(FlightCancelledError);
    const failed = budget.acquire(1);
    budget.fail(new Error("boom"));
    await expect(failed).rejects.toThrow("boom");
    await expect(budget.acquire(1)).rejects.toThrow("boom");
  });
});
