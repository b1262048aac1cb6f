/**
 * @flight-cluster/planner: the cluster's stateless coordinator (catalog, placement,
 * tickets, FlightInfo assembly, uploads and repair).
 *
 * Public API. Sibling packages may also import "@flight-cluster/planner/internal".
 */

export * from "./dataset-descriptor.js";
export * from "./dataset-name.js";
export * from "./placement.js";
export * from "./planner-error.js";
export * from "./replica-order.js";
export * from "./schema-projection.js";
