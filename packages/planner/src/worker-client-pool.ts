/**
 * The real {@link WorkerTransport}: one pooled FlightClient per worker location
 * (grpc-js multiplexes every call to a worker over one HTTP/2 connection, with the
 * protocol package's 16 MiB flow-control window), bounded in size.
 */
import { connect, type FlightClient, type FlightClientOptions, FlightDescriptor } from "@flight-cluster/protocol";
import type { WorkerInfo } from "@flight-cluster/registry";
import type { Schema } from "apache-arrow";
import { PlannerError } from "./planner-error.js";
import { encodePutShardCommand, type PutShardCommand } from "./worker-protocol.js";
import type { ReplicaStream, WorkerTransport } from "./worker-transport.js";

/** Options of {@link createWorkerClientPool}. */
export interface WorkerClientPoolOptions {
  /** Largest FlightData message sent, in bytes. */
  readonly maxMessageBytes: number;
  /** Deadline of each worker action, in ms. */
  readonly actionTimeoutMs: number;
  /** Most pooled connections; the least recently used is closed beyond it (default 256). */
  readonly maxClients?: number;
  /** Extra client options (TLS for `grpc+tls://` workers, middleware). */
  readonly client?: FlightClientOptions;
}

/** Most result bodies kept from one worker action. */
const MAX_ACTION_RESULTS = 1024;

/** Create a pooled {@link WorkerTransport}. */
export function createWorkerClientPool(options: WorkerClientPoolOptions): WorkerTransport {
  const clients = new Map<string, FlightClient>();
  const maxClients = options.maxClients ?? 256;
  let closed = false;

  function clientFor(worker: WorkerInfo): FlightClient {
    if (closed) throw new PlannerError("PLANNER_REPLICA_FAILED", "the planner is shutting down");
    const location = worker.locations[0];
    if (location === undefined) {
      throw new PlannerError("PLANNER_REPLICA_FAILED", `worker ${worker.id} registered no location`);
    }
    const known = clients.get(location);
    if (known !== undefined) {
      clients.delete(location);
      clients.set(location, known);
      return known;
    }
    const client = connect(location, { ...options.client, maxMessageBytes: options.maxMessageBytes });
    clients.set(location, client);
    while (clients.size > maxClients) {
      const [oldest, evicted] = clients.entries().next().value as [string, FlightClient];
      clients.delete(oldest);
      evicted.close();
    }
    return client;
  }

  return {
    async openPutShard(worker: WorkerInfo, command: PutShardCommand, schema: Schema, signal?: AbortSignal) {
      const client = clientFor(worker);
      const controller = new AbortController();
      const callSignal = signal === undefined ? controller.signal : AbortSignal.any([signal, controller.signal]);
      const { writer, results } = client.doPut(FlightDescriptor.forCommand(encodePutShardCommand(command)), schema, {
        signal: callSignal,
      });
      const stream: ReplicaStream = {
        writeEncoded: (message) => writer.writeEncoded(message),
        async finish() {
          await writer.done();
          let answer: Uint8Array | undefined;
          for await (const result of results) answer ??= result.appMetadata;
          await writer.close();
          if (answer === undefined) {
            throw new PlannerError(
              "PLANNER_REPLICA_FAILED",
              `worker ${worker.id} stored shard ${command.shardId} but sent no PutResult`,
            );
          }
          return answer;
        },
        cancel: () => controller.abort(),
      };
      return stream;
    },

    async doAction(worker, type, body, signal) {
      const client = clientFor(worker);
      const bodies: Uint8Array[] = [];
      for await (const result of client.doAction({ type, body }, { signal, timeoutMs: options.actionTimeoutMs })) {
        if (bodies.length < MAX_ACTION_RESULTS) bodies.push(result.body);
      }
      return bodies;
    },

    async close() {
      closed = true;
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
