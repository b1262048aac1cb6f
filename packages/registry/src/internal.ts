/** @flight-cluster/registry public API. */
export {};
