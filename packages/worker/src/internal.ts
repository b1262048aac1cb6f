/**
 * Internal API of @flight-cluster/worker for sibling packages, tests and benchmarks
 * (shard files, manifest, readers). Not covered by semver.
 */

export * from "./digest.js";
export * from "./flight-data-layout.js";
export * from "./heartbeat.js";
export * from "./index.js";
export * from "./ipc-message-info.js";
export * from "./manifest.js";
export * from "./orphan-gc.js";
export * from "./shard-index.js";
export * from "./shard-reader.js";
export * from "./shard-store.js";
export * from "./shard-writer.js";
export * from "./ticket-cache.js";
export * from "./upload-replica.js";
export * from "./worker-flight-error.js";
