/** @flight-cluster/cli public API. */
export {};
