/**
 * Internal API for flight-cluster's sibling packages (planner, worker, client).
 * Not covered by semver; applications should import "@flight-cluster/protocol".
 */
export * from "./index.js";
