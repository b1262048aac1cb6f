/**
 * Replication health of the catalog: which committed shards (of every version still
 * readable) have fewer live replicas than R. Used by the `status` action and by
 * the repair loop.
 */
import type { DatasetVersion, Registry, WorkerInfo } from "@flight-cluster/registry";

/** A committed shard with fewer live replicas than wanted. */
export interface UnderReplicatedShard {
  readonly dataset: string;
  readonly version: number;
  readonly shardId: string;
  readonly index: number;
  /** Every replica the catalog lists. */
  readonly replicas: readonly string[];
  /** The listed replicas whose worker is live. */
  readonly liveReplicas: readonly string[];
  /** Copies to add to get back to R. */
  readonly missing: number;
}

/** Every committed version of every dataset (latest and older ones still readable). */
export async function listCommittedVersions(registry: Registry, signal?: AbortSignal): Promise<DatasetVersion[]> {
  const out: DatasetVersion[] = [];
  for (const summary of await registry.listDatasets(signal)) {
    for (const version of await registry.listDatasetVersions(summary.name, signal)) {
      const dataset = await registry.getDataset(summary.name, version, signal);
      if (dataset !== null) out.push(dataset);
    }
  }
  return out;
}

/** The shards of `datasets` with fewer than `replicas` replicas on `liveWorkers`. */
export function findUnderReplicated(
  datasets: readonly DatasetVersion[],
  liveWorkers: readonly WorkerInfo[],
  replicas: number,
): UnderReplicatedShard[] {
  const live = new Set(liveWorkers.map((worker) => worker.id));
  const out: UnderReplicatedShard[] = [];
  for (const dataset of datasets) {
    for (const shard of dataset.shards) {
      const liveReplicas = shard.replicas.filter((id) => live.has(id));
      if (liveReplicas.length >= replicas) continue;
      out.push({
        dataset: dataset.name,
        version: dataset.version,
        shardId: shard.id,
        index: shard.index,
        replicas: shard.replicas,
        liveReplicas,
        missing: replicas - liveReplicas.length,
      });
    }
  }
  return out;
}
