/**
 * @flight-cluster/protocol: Apache Arrow Flight for Node.js.
 *
 * Public API. Sibling packages may also import "@flight-cluster/protocol/internal".
 */

export * from "./flight-data.js";
export * from "./flight-data-decoder.js";
export * from "./flight-data-encoder.js";
export * from "./flight-error.js";
export * from "./flight-messages.js";
export * from "./ipc-schema.js";
export * from "./ipc-stream.js";
