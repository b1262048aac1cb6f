/**
 * Internal API for flight-cluster's sibling packages (cli, tests, benchmarks): the
 * building blocks of the planner, for embedding and testing.
 * Not covered by semver; applications should import "@flight-cluster/planner".
 */

export * from "./catalog-health.js";
export * from "./commit-notifier.js";
export * from "./flight-info-builder.js";
export * from "./index.js";
export * from "./planner-service.js";
export * from "./repair-loop.js";
export * from "./shard-cutter.js";
export * from "./upload-cleanup.js";
export * from "./upload-coordinator.js";
export * from "./upload-ids.js";
export * from "./worker-client-pool.js";
export * from "./worker-protocol.js";
export * from "./worker-transport.js";
export * from "./write-plan.js";
