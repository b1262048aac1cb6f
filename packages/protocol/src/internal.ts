/**
 * Internal API for flight-cluster's sibling packages (planner, worker, client).
 * Not covered by semver; applications should import "@flight-cluster/protocol".
 */

// Protobuf codecs of the Flight messages (action bodies, raw descriptors for FlightData).
export * from "./flight-messages-codec.js";
export * from "./index.js";
