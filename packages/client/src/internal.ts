/**
 * @flight-cluster/client internals for sibling packages (the CLI, benchmarks and tests):
 * the building blocks of the client, whose shapes may change between versions.
 */

export * from "./batch-merge.js";
export * from "./byte-budget.js";
export * from "./call-observer.js";
export * from "./location-choice.js";
export * from "./location-pool.js";
export * from "./location-stats.js";
export * from "./upload-cutter.js";
