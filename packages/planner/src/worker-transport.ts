/**
 * How the planner talks to workers: a narrow interface so that upload and repair
 * logic does not depend on grpc, and so that their unit tests can run against an
 * in-process fake. The real implementation (`worker-client-pool.ts`) keeps one
 * pooled FlightClient per worker location.
 */
import type { WorkerInfo } from "@flight-cluster/registry";
import type { Schema } from "apache-arrow";
import type { PutShardCommand } from "./worker-protocol.js";

/** One open put-shard DoPut to one replica. */
export interface ReplicaStream {
  /**
   * Send one pre-encoded protobuf FlightData message (never the first: the schema
   * message with the descriptor is sent when the stream opens). Resolves when the
   * transport accepts more, which is how upload backpressure reaches the client.
   * @throws FlightError when the call failed.
   */
  writeEncoded(message: Uint8Array): Promise<void>;
  /**
   * Half-close and wait for the worker's answer: the app_metadata of its PutResult
   * (JSON `{shardId, rows, bytes, digest}`).
   * @throws FlightError when the worker failed or sent no PutResult.
   */
  finish(): Promise<Uint8Array>;
  /** Cancel the call (idempotent; safe after finish). */
  cancel(): void;
}

/** Calls the planner makes on workers. Every method throws FlightErrors. */
export interface WorkerTransport {
  /**
   * Open a put-shard DoPut on `worker` and send the schema message carrying the
   * command as its CMD descriptor.
   */
  openPutShard(
    worker: WorkerInfo,
    command: PutShardCommand,
    schema: Schema,
    signal?: AbortSignal,
  ): Promise<ReplicaStream>;
  /**
   * Run a worker action and collect its result bodies (few and small: at most
   * `maxResults` bodies are kept).
   */
  doAction(worker: WorkerInfo, type: string, body: Uint8Array, signal?: AbortSignal): Promise<Uint8Array[]>;
  /** Close pooled connections. */
  close(): Promise<void>;
}
