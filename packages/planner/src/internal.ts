/**
 * Internal API for flight-cluster's sibling packages (cli, tests, benchmarks).
 * Not covered by semver; applications should import "@flight-cluster/planner".
 */
export * from "./index.js";
