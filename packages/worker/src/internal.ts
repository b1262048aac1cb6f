/** @flight-cluster/worker public API. */
export {};
