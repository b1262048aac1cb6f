/**
 * Planning a catalog rebuild from worker announcements: a pure function shared by
 * both backends, which then apply the plan atomically per dataset.
 */
import type {
  AnnouncedShard,
  RebuildReport,
  RebuildSkipReason,
  ShardSpec,
  WorkerAnnouncement,
} from "./registry-types.js";

/** A dataset version that can be restored from announcements. */
export interface RestorableVersion {
  readonly name: string;
  readonly version: number;
  readonly schema: Uint8Array;
  /** Shards ordered by index, replicas = the announcing workers, sorted. */
  readonly shards: readonly ShardSpec[];
  /** Earliest announced `createdAt`, if any worker knew it. */
  readonly createdAt: number | undefined;
}

/** What the announcements say about one dataset. */
export interface DatasetRebuildPlan {
  readonly name: string;
  /** Highest announced version of the dataset. */
  readonly maxVersion: number;
  /** The highest complete and consistent version, if any. */
  readonly restorable: RestorableVersion | undefined;
  /** Versions above `restorable` that cannot be restored, highest first. */
  readonly rejected: ReadonlyArray<{ readonly version: number; readonly reason: RebuildSkipReason }>;
}

interface Entry {
  readonly workerId: string;
  readonly shard: AnnouncedShard;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** Assemble one version from its announcement entries, or say why it cannot be. */
function assemble(name: string, version: number, entries: readonly Entry[]): RestorableVersion | RebuildSkipReason {
  const first = entries[0];
  if (first === undefined) return "incomplete";
  const { shardCount, schema } = first.shard;
  const byIndex = new Map<number, { spec: Omit<ShardSpec, "replicas">; replicas: Set<string> }>();
  let createdAt: number | undefined;
  for (const { workerId, shard } of entries) {
    if (shard.shardCount !== shardCount || !sameBytes(shard.schema, schema)) return "inconsistent";
    if (shard.createdAt !== undefined) createdAt = Math.min(createdAt ?? shard.createdAt, shard.createdAt);
    const known = byIndex.get(shard.index);
    if (known === undefined) {
      const { shardId: id, index, rows, bytes, digest } = shard;
      byIndex.set(shard.index, { spec: { id, index, rows, bytes, digest }, replicas: new Set([workerId]) });
    } else {
      const s = known.spec;
      if (s.id !== shard.shardId || s.rows !== shard.rows || s.bytes !== shard.bytes || s.digest !== shard.digest) {
        return "inconsistent";
      }
      known.replicas.add(workerId);
    }
  }
  const ids = new Set<string>();
  const shards: ShardSpec[] = [];
  for (let index = 0; index < shardCount; index++) {
    const found = byIndex.get(index);
    if (found === undefined) return "incomplete";
    if (ids.has(found.spec.id)) return "inconsistent";
    ids.add(found.spec.id);
    shards.push({ ...found.spec, replicas: [...found.replicas].sort() });
  }
  return { name, version, schema: schema.slice(), shards, createdAt };
}

/**
 * Group announcements by dataset and find, for each, the highest version whose
 * shards 0..n-1 are all announced and agree (same schema, shard count, and per
 * index the same id, rows, bytes and digest).
 * @param announcements every stored announcement.
 * @param liveWorkers ids of live workers, or null to count every announcement.
 * @returns one plan per announced dataset, ordered by name.
 */
export function planRebuild(
  announcements: readonly WorkerAnnouncement[],
  liveWorkers: ReadonlySet<string> | null,
): DatasetRebuildPlan[] {
  const byDataset = new Map<string, Map<number, Entry[]>>();
  for (const announcement of announcements) {
    if (liveWorkers !== null && !liveWorkers.has(announcement.workerId)) continue;
    for (const shard of announcement.shards) {
      const versions = byDataset.get(shard.dataset) ?? new Map<number, Entry[]>();
      byDataset.set(shard.dataset, versions);
      const entries = versions.get(shard.version) ?? [];
      versions.set(shard.version, entries);
      entries.push({ workerId: announcement.workerId, shard });
    }
  }
  const plans: DatasetRebuildPlan[] = [];
  for (const name of [...byDataset.keys()].sort()) {
    const versions = byDataset.get(name) ?? new Map<number, Entry[]>();
    const ordered = [...versions.keys()].sort((a, b) => b - a);
    const rejected: Array<{ version: number; reason: RebuildSkipReason }> = [];
    let restorable: RestorableVersion | undefined;
    for (const version of ordered) {
      const result = assemble(name, version, versions.get(version) ?? []);
      if (typeof result === "string") {
        rejected.push({ version, reason: result });
      } else {
        restorable = result;
        break;
      }
    }
    plans.push({ name, maxVersion: ordered[0] ?? 0, restorable, rejected });
  }
  return plans;
}

/**
 * Apply plans one dataset at a time and assemble the report.
 * @param apply raises the dataset's version counter to `plan.maxVersion` and, when the
 *   plan has a restorable version, commits it atomically unless the dataset exists, was
 *   dropped at or after that version, or a shard id is taken; returns the reason it did not
 *   restore, or undefined when it restored (or there was nothing to restore).
 */
export async function applyRebuild(
  plans: readonly DatasetRebuildPlan[],
  apply: (plan: DatasetRebuildPlan) => Promise<RebuildSkipReason | undefined>,
): Promise<RebuildReport> {
  const restored: Array<{ name: string; version: number }> = [];
  const skipped: Array<{ name: string; version: number; reason: RebuildSkipReason }> = [];
  for (const plan of plans) {
    const { name, restorable } = plan;
    const reason = await apply(plan);
    if (restorable !== undefined && reason === "exists") {
      skipped.push({ name, version: restorable.version, reason });
      continue;
    }
    for (const rejected of plan.rejected) skipped.push({ name, ...rejected });
    if (restorable === undefined) continue;
    if (reason === undefined) restored.push({ name, version: restorable.version });
    else skipped.push({ name, version: restorable.version, reason });
  }
  return { restored, skipped };
}
