/** @flight-cluster/planner public API. */
export {};
