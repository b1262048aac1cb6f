/**
 * What the worker's Flight handlers share: its store, registry, caches, activity
 * counters and the checks that gate writes (fencing, draining).
 */
import type { SendBufferPool } from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import type { CpuPool } from "./cpu-pool.js";
import type { WorkerLogger } from "./logger.js";
import type { WorkerMetrics } from "./metrics.js";
import type { ShardStore } from "./shard-store.js";
import type { TicketCache } from "./ticket-cache.js";
import type { WorkerActivity } from "./worker-activity.js";
import type { ResolvedWorkerOptions } from "./worker-options.js";

/** Dependencies of the worker's handlers. */
export interface WorkerContext {
  readonly options: ResolvedWorkerOptions;
  readonly store: ShardStore;
  readonly registry: Registry;
  readonly tickets: TicketCache;
  readonly pool: CpuPool;
  /** Memory DoGet reads shard messages into; each block returns once HTTP/2 has written it. */
  readonly sendBuffers: SendBufferPool;
  readonly activity: WorkerActivity;
  readonly logger: WorkerLogger;
  readonly metrics: WorkerMetrics;
  /** The worker's id (from its data directory or options). */
  readonly workerId: string;
  /**
   * Throw unless the worker may change its shards: WorkerFencedError after a newer
   * process registered the same id, WorkerNotServingError while draining or stopped.
   */
  checkWritable(): void;
  /** The set of held shards changed: refresh gauges and the registry announcement. */
  shardsChanged(): void;
}
