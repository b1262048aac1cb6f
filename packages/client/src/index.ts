/**
 * @flight-cluster/client: the location-aware parallel client of flight-cluster.
 *
 * Public API. Sibling packages may also import "@flight-cluster/client/internal".
 */

export { ClientError, type ClientErrorReason, ClientErrorReasons, isClientError } from "./client-error.js";
export * from "./client-options.js";
export { type ClusterClient, createClusterClient } from "./cluster-client.js";
export { type ShardEndpointMetadata, SKIP_BATCHES_HEADER, shardMetadata, ZONE_HEADER } from "./cluster-protocol.js";
export type { FetchEvent, FetchProgress } from "./fetch-events.js";
export type { FlightFetch } from "./flight-fetch.js";
export type { LocationState } from "./location-stats.js";
export type { PutSource } from "./parallel-put.js";
export type { PutEvent } from "./put-events.js";
export type { PlannedReplica, PutSummary, ShardPlan, UploadPlan } from "./write-plan-client.js";
