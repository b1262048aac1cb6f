import { afterEach, beforeEach, expect, it } from "vitest";
import { createPromWorkerMetrics } from "./metrics-prom.js";
import { makeTable } from "./shard-fixtures.test-kit.js";
import { commitUpload, createTestBed, putShard, type TestBed } from "./worker.test-kit.js";

let bed: TestBed;
beforeEach(async () => {
  bed = await createTestBed();
});
afterEach(async () => {
  await bed.close();
});

it("records stream, byte, shard and heartbeat metrics; serving state turns off on drain", async () => {
  const metrics = createPromWorkerMetrics({ processMetrics: false });
  const w = await bed.start("w1", { metrics });
  {
    const table = makeTable(4000, 1000);
    const upload = await bed.registry.beginUpload("m", 60_000);
    await putShard(w.client, upload, "s-m", 0, table);
    await commitUpload(bed.registry, upload.id, table, ["s-m"]);
    const ticket = await bed.registry.createTicket({ dataset: "m", version: upload.version, shardId: "s-m" }, 60_000);
    await w.client.doGet(ticket.id).readAll();
    await w.worker.heartbeat();

    const text = await metrics.registry.metrics();
    const value = (line: string) => Number(new RegExp(`^${line} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value("flight_worker_bytes_served_total")).toBeGreaterThan(100_000);
    expect(value('flight_worker_streams_total\\{kind="doget",outcome="ok"\\}')).toBe(1);
    expect(value('flight_worker_streams_total\\{kind="doput",outcome="ok"\\}')).toBe(1);
    expect(value('flight_worker_streams_active\\{kind="doget"\\}')).toBe(0);
    expect(value("flight_worker_shards_held")).toBe(1);
    expect(value('flight_worker_heartbeats_total\\{outcome="ok"\\}')).toBe(1);
    expect(text).toContain('flight_worker_stream_duration_seconds_count{kind="doget"} 1');

    // The CLI's /healthz answers `worker.state === "serving"` (packages/cli/src/metrics-server.test.ts).
    expect(w.worker.state).toBe("serving");
    await w.worker.drain(1_000);
    expect(w.worker.state).not.toBe("serving");
  }
});

it("counts a DoGet the client cancels as cancelled and releases the stream", async () => {
  const metrics = createPromWorkerMetrics({ processMetrics: false });
  const w = await bed.start("w1", { metrics, readAheadMessages: 1 });
  const table = makeTable(200_000, 2000);
  const upload = await bed.registry.beginUpload("big", 60_000);
  await putShard(w.client, upload, "s-big", 0, table);
  await commitUpload(bed.registry, upload.id, table, ["s-big"]);
  const ticket = await bed.registry.createTicket({ dataset: "big", version: upload.version, shardId: "s-big" }, 60_000);
  const controller = new AbortController();
  const reader = w.client.doGet(ticket.id, { signal: controller.signal });
  expect(await reader.readFrame()).toBeDefined();
  controller.abort();
  const text = async () => metrics.registry.metrics();
  await expect.poll(text).toMatch(/flight_worker_streams_total\{kind="doget",outcome="cancelled"\} 1/);
  expect(await text()).toMatch(/flight_worker_streams_active\{kind="doget"\} 0/);
});
