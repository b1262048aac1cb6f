/**
 * Recording a stored replica in its pending upload.
 *
 * `Registry.recordUploadShard` *replaces* a shard's record, so two replica workers
 * recording the same shard at the same moment would each overwrite the other's worker
 * id. The worker therefore merges under a short registry lock named after the shard:
 * read the upload, add its own id to the shard's replicas, record. The lock lapses on
 * its own (`LOCK_TTL_MS`), so a crashed holder delays others by at most that.
 */
import { createHash } from "node:crypto";
import type { Registry, ShardSpec } from "@flight-cluster/registry";
import { RegistryUnavailableError, UploadNotFoundError } from "@flight-cluster/registry";
import { DigestMismatchError } from "./worker-errors.js";

/** Lifetime of the merge lock, ms. */
export const LOCK_TTL_MS = 5_000;

/** Attempts to take the lock before giving up. */
const LOCK_ATTEMPTS = 200;

function lockName(shardId: string): string {
  return `upload-shard:${createHash("sha256").update(shardId).digest("hex").slice(0, 40)}`;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/** A replica stored by `workerId`. */
export interface StoredReplica {
  readonly uploadId: string;
  readonly shardId: string;
  readonly index: number;
  readonly rows: number;
  readonly bytes: number;
  readonly digest: string;
  readonly workerId: string;
}

/**
 * Add `replica.workerId` to the shard's record in its pending upload, keeping the
 * replicas other workers recorded.
 * @throws UploadNotFoundError / UploadExpiredError when the upload is no longer pending;
 * RegistryUnavailableError when the shard's lock stays taken for about 10 s;
 * DigestMismatchError when another replica of the shard was recorded with other
 * rows, bytes or digest (the senders sent different data); RegistryError otherwise.
 */
export async function recordReplica(registry: Registry, replica: StoredReplica, signal?: AbortSignal): Promise<void> {
  const name = lockName(replica.shardId);
  let lease = await registry.tryAcquireLock(name, LOCK_TTL_MS, signal);
  for (let attempt = 1; lease === null; attempt++) {
    if (attempt >= LOCK_ATTEMPTS) {
      throw new RegistryUnavailableError(`could not record shard ${replica.shardId}: its record stayed locked`);
    }
    await pause(Math.min(50, 2 + attempt * 2), signal);
    lease = await registry.tryAcquireLock(name, LOCK_TTL_MS, signal);
  }
  try {
    const upload = await registry.getUpload(replica.uploadId, signal);
    if (upload === null) throw new UploadNotFoundError(`upload ${replica.uploadId} is not pending`);
    const previous = upload.shards.find((s) => s.id === replica.shardId);
    if (
      previous !== undefined &&
      (previous.rows !== replica.rows || previous.bytes !== replica.bytes || previous.digest !== replica.digest)
    ) {
      throw new DigestMismatchError(
        `shard ${replica.shardId}: this replica has ${replica.rows} rows, ${replica.bytes} bytes, ${replica.digest}; ` +
          `another replica was recorded with ${previous.rows} rows, ${previous.bytes} bytes, ${previous.digest}`,
      );
    }
    const replicas = [...new Set([...(previous?.replicas ?? []), replica.workerId])];
    const spec: ShardSpec = {
      id: replica.shardId,
      index: replica.index,
      rows: replica.rows,
      bytes: replica.bytes,
      digest: replica.digest,
      replicas,
    };
    await registry.recordUploadShard(replica.uploadId, spec, signal);
  } finally {
    await registry.releaseLock(lease).catch(() => undefined);
  }
}
