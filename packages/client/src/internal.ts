/** @flight-cluster/client public API. */
export {};
