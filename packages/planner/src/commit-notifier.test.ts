import { FlightError, StatusCode } from "@flight-cluster/protocol";
import type { WorkerInfo } from "@flight-cluster/registry";
import { describe, expect, it } from "vitest";
import { type CommitNoticeBody, createCommitNotifier, NOTICE_SHARD_IDS_PER_CALL } from "./commit-notifier.js";
import type { CommitNoticeOutcome, PlannerMetrics } from "./metrics.js";
import { noopPlannerMetrics } from "./metrics.js";
import { commitDataset, FakeTransport, populatedRegistry } from "./planner.test-kit.js";

/** A transport whose workers answer shard.commit, except those `failing` says. */
function noticeTransport(failing: (worker: WorkerInfo) => FlightError | undefined = () => undefined) {
  const transport = new FakeTransport();
  const received: Array<{ workerId: string; body: CommitNoticeBody }> = [];
  transport.actionHandler = async (worker, type, body) => {
    if (type !== "shard.commit") throw new FlightError(StatusCode.UNIMPLEMENTED, type);
    const error = failing(worker);
    if (error !== undefined) throw error;
    const notice = body as CommitNoticeBody;
    received.push({ workerId: worker.id, body: notice });
    return { uploadId: notice.uploadId, marked: notice.shardIds.length, already: 0, notHeld: [] };
  };
  return { transport, received };
}

function countingMetrics(): PlannerMetrics & { counts: Map<CommitNoticeOutcome, number> } {
  const counts = new Map<CommitNoticeOutcome, number>();
  return {
    ...noopPlannerMetrics,
    counts,
    commitNotice: (outcome) => counts.set(outcome, (counts.get(outcome) ?? 0) + 1),
  };
}

const uploadOf = (shardId: string) => shardId.slice(0, shardId.lastIndexOf("."));

describe("CommitNotifier", () => {
  it("tells each replica worker which of its shards committed, with the version's shard count", async () => {
    const { registry } = await populatedRegistry();
    const version = await commitDataset(registry, "sales", [
      ["w-a1", "w-b1"],
      ["w-b1", "w-c1"],
      ["w-a1", "w-c1"],
    ]);
    const uploadId = uploadOf(version.shards[0]!.id);
    const { transport, received } = noticeTransport();
    const metrics = countingMetrics();
    const notifier = createCommitNotifier({ registry, transport, metrics });
    expect(await notifier.notify(uploadId, version)).toEqual({ delivered: 3, missed: 0, abandoned: 0 });
    const ids = version.shards.map((s) => s.id);
    const byWorker = Object.fromEntries(received.map((r) => [r.workerId, r.body]));
    expect(Object.keys(byWorker).sort()).toEqual(["w-a1", "w-b1", "w-c1"]);
    expect(byWorker["w-a1"]).toEqual({
      uploadId,
      dataset: "sales",
      version: version.version,
      shardCount: 3,
      committedAt: version.createdAt,
      shardIds: [ids[0], ids[2]],
    });
    expect(byWorker["w-b1"]?.shardIds).toEqual([ids[0], ids[1]]);
    expect(metrics.counts).toEqual(new Map([["delivered", 3]]));
    expect(notifier.queued).toBe(0);
  });

  it("does not fail on an unreachable or dead worker: counts it missed, queues it, and resends it later", async () => {
    const { registry } = await populatedRegistry();
    const version = await commitDataset(registry, "sales", [
      ["w-a1", "w-b1"],
      ["w-c1", "w-a2"],
    ]);
    let down = true;
    const { transport, received } = noticeTransport((worker) =>
      down && worker.id === "w-b1" ? new FlightError(StatusCode.UNAVAILABLE, "connection refused") : undefined,
    );
    await registry.deregisterWorker("w-c1", (await registry.getWorker("w-c1"))!.epoch);
    const metrics = countingMetrics();
    const notifier = createCommitNotifier({ registry, transport, metrics });
    const uploadId = uploadOf(version.shards[0]!.id);
    expect(await notifier.notify(uploadId, version)).toEqual({ delivered: 2, missed: 2, abandoned: 0 });
    expect(notifier.queued).toBe(2);
    expect(received.map((r) => r.workerId).sort()).toEqual(["w-a1", "w-a2"]);

    // Still down: nothing changes.
    expect(await notifier.resendQueued()).toEqual({ delivered: 0, missed: 2, abandoned: 0 });
    down = false;
    await registry.registerWorker({
      id: "w-c1",
      zone: "c",
      locations: ["grpc+tcp://w-c1:9000"],
      capacity: 1,
      ttlMs: 60_000,
    });
    expect(await notifier.resendQueued()).toEqual({ delivered: 2, missed: 0, abandoned: 0 });
    expect(notifier.queued).toBe(0);
    expect(received.filter((r) => r.workerId === "w-b1").map((r) => r.body.shardIds)).toEqual([
      [version.shards[0]!.id],
    ]);
    expect(received.filter((r) => r.workerId === "w-c1").map((r) => r.body.shardIds)).toEqual([
      [version.shards[1]!.id],
    ]);
    expect(metrics.counts).toEqual(
      new Map<CommitNoticeOutcome, number>([
        ["delivered", 2],
        ["missed", 2],
        ["resent", 2],
      ]),
    );
  });

  it("does not retry a refusal; abandons notices that aged out or were pushed out of a full queue", async () => {
    const { registry } = await populatedRegistry();
    const first = await commitDataset(registry, "one", [["w-a1", "w-b1"]]);
    const second = await commitDataset(registry, "two", [["w-a1", "w-b1"]]);
    const { transport } = noticeTransport((worker) => {
      if (worker.id === "w-a1") return new FlightError(StatusCode.FAILED_PRECONDITION, "contradicts the manifest");
      return new FlightError(StatusCode.DEADLINE_EXCEEDED, "timed out");
    });
    let now = 0;
    const metrics = countingMetrics();
    const notifier = createCommitNotifier({
      registry,
      transport,
      metrics,
      maxQueued: 1,
      retainMs: 1000,
      now: () => now,
    });
    expect(await notifier.notify(uploadOf(first.shards[0]!.id), first)).toEqual({
      delivered: 0,
      missed: 2,
      abandoned: 1,
    });
    expect(notifier.queued).toBe(1);
    // The queue holds one notice: the newer one pushes the older out.
    expect(await notifier.notify(uploadOf(second.shards[0]!.id), second)).toEqual({
      delivered: 0,
      missed: 2,
      abandoned: 2,
    });
    expect(notifier.queued).toBe(1);
    now = 1001;
    expect(await notifier.resendQueued()).toEqual({ delivered: 0, missed: 0, abandoned: 1 });
    expect(notifier.queued).toBe(0);
    expect(metrics.counts.get("abandoned")).toBe(4);
  });

  it(`splits a worker's shard list into calls of at most ${NOTICE_SHARD_IDS_PER_CALL} ids`, async () => {
    const { registry } = await populatedRegistry();
    const count = NOTICE_SHARD_IDS_PER_CALL + 10;
    const version = await commitDataset(
      registry,
      "wide",
      Array.from({ length: count }, () => ["w-a1", "w-b1"]),
    );
    const { transport, received } = noticeTransport();
    const notifier = createCommitNotifier({ registry, transport });
    expect(await notifier.notify(uploadOf(version.shards[0]!.id), version)).toMatchObject({ delivered: 2 });
    const toA = received.filter((r) => r.workerId === "w-a1").map((r) => r.body.shardIds.length);
    expect(toA).toEqual([NOTICE_SHARD_IDS_PER_CALL, 10]);
    expect(received.every((r) => r.body.shardCount === count)).toBe(true);
  });
});
