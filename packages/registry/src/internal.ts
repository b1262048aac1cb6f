/**
 * @flight-cluster/registry internals for sibling packages (planner, worker, cli, tests).
 * Not a stable API for users.
 */

export * from "./index.js";
