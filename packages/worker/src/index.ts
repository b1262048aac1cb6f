/**
 * @flight-cluster/worker: the data node of flight-cluster. Stores shards as Arrow IPC
 * files already cut into FlightData-sized messages, serves them with DoGet, takes new
 * shards with DoPut, and keeps its registration alive in the registry.
 *
 * Public API. Sibling packages may also import "@flight-cluster/worker/internal".
 */

export * from "./cpu-pool.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./metrics-prom.js";
export { WORKER_ACTIONS, WorkerActionType } from "./shard-actions.js";
export { SKIP_BATCHES_HEADER } from "./shard-doget.js";
export { type PutShardCommand, parsePutShardCommand } from "./shard-doput.js";
export * from "./worker.js";
export * from "./worker-errors.js";
export * from "./worker-options.js";
