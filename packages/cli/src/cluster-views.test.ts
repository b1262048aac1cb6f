import { describe, expect, it } from "vitest";
import { CliError } from "./cli-error.js";
import { renderDatasets, renderDescribe, renderStatus } from "./cluster-views.js";

const describeAnswer = {
  name: "sales",
  version: 2,
  versions: [1, 2],
  createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
  rows: 1000,
  bytes: 4096,
  fields: [
    { name: "id", type: "Int64", nullable: false },
    { name: "region", type: "Utf8", nullable: false },
  ],
  shards: [
    {
      shardId: "s-0",
      index: 0,
      rows: 600,
      bytes: 2048,
      digest: "sha256:abcdef0123456789abcdef",
      replicas: [
        { workerId: "w1", live: true, zone: "a", location: "grpc+tcp://h:1" },
        { workerId: "w2", live: false },
      ],
    },
    {
      shardId: "s-1",
      index: 1,
      rows: 400,
      bytes: 2048,
      digest: "sha256:00",
      replicas: [{ workerId: "w1", live: true, zone: "a", location: "grpc+tcp://h:1" }],
    },
  ],
};

describe("cluster views", () => {
  it("lists datasets", () => {
    const text = renderDatasets([{ name: "sales", version: 2, shards: 2, rows: 1000, bytes: 4096, createdAt: 0 }]);
    expect(text.split("\n")[0]).toMatch(/^DATASET\s+VERSION\s+SHARDS\s+ROWS\s+BYTES\s+CREATED$/);
    expect(text).toMatch(/sales\s+2\s+2\s+1,000\s+4 KiB\s+1970-01-01T00:00:00Z/);
    expect(() => renderDatasets({ nope: 1 })).toThrow(CliError);
  });

  it("describes a dataset with replicas, zones and down replicas", () => {
    const text = renderDescribe(describeAnswer);
    expect(text).toContain("sales version 2: 1,000 rows, 4 KiB, 2 shard(s), created 2026-01-02T03:04:05Z");
    expect(text).toContain("columns: id Int64, region Utf8");
    expect(text).toMatch(/0\s+s-0\s+600\s+2 KiB\s+w1@a w2\(down\)\s+sha256:abcdef012345/);
  });

  it("shows status: shards held per worker, zones, under-replicated shards", () => {
    const status = {
      replicas: 2,
      workers: [
        { id: "w1", zone: "a", locations: ["grpc+tcp://h:1"], capacity: 1 << 30, load: 0.5, expiresAt: 0 },
        { id: "w3", zone: "b", locations: ["grpc+tcp://h:3"], capacity: 1 << 30, load: 0, expiresAt: 0 },
      ],
      lostWorkers: [{ id: "w2", lastSeenAt: 0 }],
      zones: { a: 1, b: 1 },
      datasets: [{ name: "sales", version: 2, shards: 2, rows: 1000, bytes: 4096, replicas: 3 }],
      shards: 2,
      underReplicated: [
        {
          dataset: "sales",
          version: 2,
          shardId: "s-0",
          index: 0,
          replicas: ["w1", "w2"],
          liveReplicas: ["w1"],
          missing: 1,
        },
        { dataset: "sales", version: 2, shardId: "s-1", index: 1, replicas: ["w1"], liveReplicas: ["w1"], missing: 1 },
      ],
      unavailable: 0,
    };
    const text = renderStatus(status, [describeAnswer]);
    expect(text).toContain("Workers (2 live; lost: w2)");
    expect(text).toMatch(/w1\s+a\s+grpc\+tcp:\/\/h:1\s+0\.50\s+2\s+1 GiB/);
    expect(text).toMatch(/w3\s+b\s+grpc\+tcp:\/\/h:3\s+0\s+0\s+1 GiB/);
    expect(text).toMatch(/ZONE\s+WORKERS\s+REPLICAS\n-+\s+-+\s+-+\na\s+1\s+2\nb\s+1\s+0/);
    expect(text).toContain("Datasets (1; 2 replicas wanted)");
    expect(text).toMatch(/sales\s+2\s+2\s+3\s+2\s+1,000\s+4 KiB/);
    expect(text).toContain("Under-replicated shards (2)");
    expect(text).toMatch(/sales\s+2\s+0\s+s-0\s+w1\s+1/);
  });
});
