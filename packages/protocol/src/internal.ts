/**
 * Internal API for flight-cluster's sibling packages (planner, worker, client).
 * Not covered by semver; applications should import "@flight-cluster/protocol".
 */

// Protobuf codecs of the Flight messages (action bodies, raw descriptors for FlightData).
export * from "./flight-messages-codec.js";
export * from "./index.js";
// Arrow IPC metadata helpers of the wire layer (message type and body length of a header, schema equality).
export { type IpcMessage, MessageHeaderType, messageHeaderTypeName, readIpcMessage } from "./ipc-message.js";
export { type SchemaEqualityOptions, schemasEqual } from "./ipc-schema-equals.js";
