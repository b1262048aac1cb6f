import { describe, expect, it } from "vitest";
import { normalizeCallerZone, orderReplicas, type ReplicaCandidate, replicaLocations } from "./replica-order.js";

const replica = (id: string, zone: string, load: number, locations = [`grpc+tcp://${id}:1`]): ReplicaCandidate => ({
  id,
  zone,
  load,
  locations,
});

describe("orderReplicas", () => {
  const a = replica("wa", "a", 5);
  const b = replica("wb", "b", 1);
  const c = replica("wc", "c", 3);

  it("puts the caller's zone first, then lower load", () => {
    expect(orderReplicas("s1", [a, b, c], "a").map((r) => r.id)).toEqual(["wa", "wb", "wc"]);
    expect(orderReplicas("s1", [a, b, c], "c").map((r) => r.id)).toEqual(["wc", "wb", "wa"]);
    expect(orderReplicas("s1", [a, b, c]).map((r) => r.id)).toEqual(["wb", "wc", "wa"]);
    expect(orderReplicas("s1", [a, b, c], "unknown-zone").map((r) => r.id)).toEqual(["wb", "wc", "wa"]);
  });

  it("sorts non-finite loads last and does not modify its input", () => {
    const input = [replica("wn", "a", Number.NaN), b];
    expect(orderReplicas("s", input).map((r) => r.id)).toEqual(["wb", "wn"]);
    expect(input.map((r) => r.id)).toEqual(["wn", "wb"]);
  });

  it("breaks load ties deterministically and spreads them over shards", () => {
    const x = replica("wx", "a", 0);
    const y = replica("wy", "b", 0);
    let xFirst = 0;
    for (let i = 0; i < 1000; i++) {
      const order = orderReplicas(`shard-${i}`, [x, y]).map((r) => r.id);
      expect(orderReplicas(`shard-${i}`, [y, x]).map((r) => r.id)).toEqual(order);
      if (order[0] === "wx") xFirst++;
    }
    expect(xFirst).toBeGreaterThan(400);
    expect(xFirst).toBeLessThan(600);
  });
});

describe("replicaLocations", () => {
  it("flattens locations in order without duplicates", () => {
    const r1 = replica("w1", "a", 0, ["grpc+tcp://h1:1", "grpc+tls://h1:2"]);
    const r2 = replica("w2", "b", 0, ["grpc+tcp://h2:1", "grpc+tcp://h1:1"]);
    expect(replicaLocations([r1, r2])).toEqual(["grpc+tcp://h1:1", "grpc+tls://h1:2", "grpc+tcp://h2:1"]);
  });
});

describe("normalizeCallerZone", () => {
  it("trims and bounds the x-flight-zone value", () => {
    expect(normalizeCallerZone(" eu-1 ")).toBe("eu-1");
    expect(normalizeCallerZone(undefined)).toBeUndefined();
    expect(normalizeCallerZone("  ")).toBeUndefined();
    expect(normalizeCallerZone("z".repeat(200))).toBeUndefined();
  });
});
