/**
 * Losing a worker and losing the registry's data, with real processes and pyarrow:
 * SIGKILL a worker; it leaves the listings within its TTL; reads keep working from the
 * other replica; repair restores 2 copies in distinct zones. Then FLUSHALL Redis: workers
 * re-announce their manifests and the catalog is rebuilt without losing the dataset.
 */
import { connect } from "@flight-cluster/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, lastJson, runCli, runPython, startCluster, waitFor } from "../kit/cluster.js";
import { requirePyarrow } from "../kit/python.js";

const ROWS = 300_000;
const DATASET = "loss/events";

interface VerifyJson {
  readonly ok: boolean;
  readonly message?: string;
  readonly endpoints: ReadonlyArray<{ readonly locations: readonly string[] }>;
  readonly equal: boolean;
  readonly replicas_identical: boolean;
  readonly failures: ReadonlyArray<{ readonly location: string }>;
}
interface DescribeJson {
  readonly shards: ReadonlyArray<{
    readonly index: number;
    readonly replicas: ReadonlyArray<{ readonly workerId: string; readonly live: boolean; readonly zone?: string }>;
  }>;
}

let cluster: Cluster;

async function verify(extra: readonly string[] = []): Promise<VerifyJson> {
  const result = await runPython("cluster_client.py", [
    "verify",
    "--uri",
    cluster.plannerUri,
    "--dataset",
    DATASET,
    "--rows",
    String(ROWS),
    ...extra,
  ]);
  return lastJson<VerifyJson>(result);
}

/** A planner action's JSON answer, through our Flight client. */
async function plannerAction(type: string, body = ""): Promise<unknown> {
  const client = connect(cluster.plannerUri);
  try {
    for await (const result of client.doAction({ type, body: new TextEncoder().encode(body) })) {
      return JSON.parse(new TextDecoder().decode(result.body)) as unknown;
    }
    throw new Error(`${type} returned no result`);
  } finally {
    client.close();
  }
}

async function cliJson<T>(args: readonly string[]): Promise<T> {
  const result = await runCli([...args, "--json"]);
  if (result.code !== 0) throw new Error(`flight-cluster ${args.join(" ")} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  await requirePyarrow();
  cluster = await startCluster({
    workers: 3,
    zones: ["a", "b", "c"],
    shardTargetBytes: "1MiB",
    heartbeatTtl: "3s",
    plannerArgs: ["--repair-interval", "500ms"],
  });
  const put = lastJson<{ ok: boolean; rows: number }>(
    await runPython("cluster_client.py", [
      "put",
      "--uri",
      cluster.plannerUri,
      "--dataset",
      DATASET,
      "--rows",
      String(ROWS),
    ]),
  );
  expect(put).toMatchObject({ ok: true, rows: ROWS });
  const baseline = await verify();
  expect(baseline.ok, baseline.message).toBe(true);
  expect(baseline.equal).toBe(true);
}, 180_000);

afterAll(async () => {
  await cluster?.close();
});

describe("worker loss", () => {
  it("drops a SIGKILLed worker from the listings, keeps reads working, and repairs to 2 copies", async () => {
    const victim = cluster.workers[0]!;
    const before = await cliJson<DescribeJson>(["ls", cluster.plannerUri, DATASET]);
    const held = before.shards.filter((s) => s.replicas.some((r) => r.workerId === victim.id)).length;
    expect(held).toBeGreaterThan(0);

    const exit = await cluster.killWorker(0, "SIGKILL");
    expect(exit.signal).toBe("SIGKILL");

    // Reads succeed right away: a client moving to the next location gets every row.
    const during = await verify(["--failover"]);
    expect(during.ok, during.message).toBe(true);
    expect(during.equal).toBe(true);

    // The registration lapses after its TTL (3 s): list_workers stops listing it. The deadline
    // only bounds a hang; it is not a speed threshold.
    await waitFor(
      `${victim.id} to leave list_workers`,
      async () => {
        const workers = (await plannerAction("list_workers")) as { id: string }[];
        expect(workers.length).toBeGreaterThan(0);
        return workers.some((w) => w.id === victim.id) ? undefined : true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    // Repair: every shard back to 2 live replicas in distinct zones, none on the dead worker.
    const repaired = await waitFor(
      "repair to restore 2 live replicas of every shard",
      async () => {
        const answer = await cliJson<DescribeJson>(["ls", cluster.plannerUri, DATASET]);
        const ok = answer.shards.every((shard) => {
          const live = shard.replicas.filter((r) => r.live);
          return (
            live.length === 2 &&
            new Set(live.map((r) => r.zone)).size === 2 &&
            !live.some((r) => r.workerId === victim.id)
          );
        });
        return ok ? answer : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(repaired.shards.length).toBe(before.shards.length);

    const after = await verify();
    expect(after.ok, after.message).toBe(true);
    expect(after.failures).toEqual([]);
    expect(after.endpoints.every((e) => e.locations.length === 2)).toBe(true);
    expect(after.endpoints.every((e) => new Set(e.locations.map((l) => cluster.zoneOf(l))).size === 2)).toBe(true);
    expect(after.replicas_identical).toBe(true);
    expect(after.equal).toBe(true);
    const status = await cliJson<{ underReplicated: unknown[] }>(["status", cluster.plannerUri]);
    expect(status.underReplicated).toEqual([]);
  }, 180_000);
});

describe("registry data loss", () => {
  it("rebuilds the catalog after FLUSHALL from the workers' manifests", async () => {
    await cluster.flushAll();
    // Right after the flush the catalog is empty (and the planner says so, without failing).
    const empty = await runCli(["ls", cluster.plannerUri, "--json"]);
    expect(empty.code, empty.stderr).toBe(0);
    await waitFor(
      "the dataset to be listed again",
      async () => {
        const datasets = await cliJson<{ name: string; rows: number }[]>(["ls", cluster.plannerUri]);
        return datasets.some((d) => d.name === DATASET && d.rows === ROWS) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const result = await verify();
    expect(result.ok, result.message).toBe(true);
    expect(result.equal).toBe(true);
    expect(result.replicas_identical).toBe(true);
    expect(result.endpoints.every((e) => e.locations.length === 2)).toBe(true);
    expect(cluster.deadProcesses()).toEqual([]);
  }, 120_000);
});
