/**
 * Writing one shard to its R replicas at once: every FlightData message is encoded
 * once and handed to every replica's put-shard stream, and the next message waits
 * until every replica accepted this one (so the slowest replica paces the upload and
 * nothing accumulates in the planner). At the end each replica reports rows, bytes
 * and digest; they must agree with each other and with the rows the planner sent.
 */
import { FlightError, StatusCode } from "@flight-cluster/protocol";
import type { ShardSpec, WorkerInfo } from "@flight-cluster/registry";
import type { Schema } from "apache-arrow";
import { PlannerError } from "./planner-error.js";
import { type PutShardCommand, parseStoredShard } from "./worker-protocol.js";
import type { ReplicaStream, WorkerTransport } from "./worker-transport.js";

/** Where one shard goes. */
export interface ShardTarget {
  readonly shardId: string;
  readonly index: number;
  /** The replicas' workers, in placement order. */
  readonly replicas: readonly WorkerInfo[];
}

/** Codes a worker may answer that describe the uploaded data itself: passed on to the client as they are. */
const DATA_ERROR_CODES = new Set<number>([StatusCode.INVALID_ARGUMENT, StatusCode.RESOURCE_EXHAUSTED]);

/**
 * Turn a worker's failure into the error the uploading client sees: errors about the
 * data keep their code; anything else is `PLANNER_REPLICA_FAILED` (UNAVAILABLE) naming
 * the worker and shard.
 */
export function replicaFailure(worker: WorkerInfo, shardId: string, error: unknown): FlightError {
  if (error instanceof PlannerError) return error;
  const flight = FlightError.from(error, StatusCode.UNAVAILABLE);
  const detail = flight.code === StatusCode.INTERNAL ? "internal error" : flight.rawMessage;
  if (DATA_ERROR_CODES.has(flight.code)) {
    return new FlightError(flight.code, `worker ${worker.id} rejected shard ${shardId}: ${detail}`, { cause: error });
  }
  return new PlannerError(
    "PLANNER_REPLICA_FAILED",
    `worker ${worker.id} (zone ${worker.zone}) failed while storing shard ${shardId}: ${detail}`,
    { cause: error },
  );
}

/** An open shard: its replica streams and the rows sent so far. */
export class ShardForwarder {
  readonly target: ShardTarget;
  readonly #streams: readonly ReplicaStream[];
  #rows = 0;
  #cancelled = false;

  private constructor(target: ShardTarget, streams: readonly ReplicaStream[]) {
    this.target = target;
    this.#streams = streams;
  }

  /**
   * Open put-shard streams to every replica of `target` (in parallel) and send them the
   * schema. If any replica cannot be opened, the others are cancelled.
   * @throws FlightError as {@link replicaFailure} describes.
   */
  static async open(
    transport: WorkerTransport,
    target: ShardTarget,
    command: Omit<PutShardCommand, "op" | "shardId" | "index">,
    schema: Schema,
    signal?: AbortSignal,
  ): Promise<ShardForwarder> {
    const full: PutShardCommand = { op: "put-shard", ...command, shardId: target.shardId, index: target.index };
    const opened = await Promise.allSettled(
      target.replicas.map((worker) => transport.openPutShard(worker, full, schema, signal)),
    );
    const streams = opened.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failed = opened.findIndex((result) => result.status === "rejected");
    if (failed >= 0) {
      for (const stream of streams) stream.cancel();
      const reason = (opened[failed] as PromiseRejectedResult).reason;
      throw replicaFailure(target.replicas[failed] as WorkerInfo, target.shardId, reason);
    }
    return new ShardForwarder(target, streams);
  }

  /** Rows sent so far. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Send one encoded FlightData message carrying `rows` rows to every replica;
   * resolves when every replica accepted it.
   */
  async write(message: Uint8Array, rows: number): Promise<void> {
    this.#rows += rows;
    const results = await Promise.allSettled(this.#streams.map((stream) => stream.writeEncoded(message)));
    this.#throwFirstFailure(results);
  }

  /**
   * Half-close every replica stream, wait for their answers and check that they agree.
   * @returns the shard as the catalog records it (replicas in placement order).
   * @throws PlannerError `PLANNER_REPLICA_MISMATCH` (DATA_LOSS) when replicas disagree on
   *   rows, bytes or digest, or report other rows than were sent; replica failures as
   *   {@link replicaFailure}.
   */
  async finish(): Promise<ShardSpec> {
    const { shardId, index, replicas } = this.target;
    const answers = await Promise.allSettled(this.#streams.map((stream) => stream.finish()));
    this.#throwFirstFailure(answers);
    const stored = answers.map((answer, i) => {
      const worker = replicas[i] as WorkerInfo;
      try {
        return parseStoredShard(
          (answer as PromiseFulfilledResult<Uint8Array>).value,
          `PutResult of worker ${worker.id} for shard ${shardId}`,
        );
      } catch (error) {
        throw replicaFailure(worker, shardId, error);
      }
    });
    const first = stored[0];
    if (first === undefined) throw new PlannerError("PLANNER_NOT_ENOUGH_WORKERS", `shard ${shardId} has no replica`);
    stored.forEach((replica, i) => {
      const worker = (replicas[i] as WorkerInfo).id;
      if (replica.rows !== this.#rows) {
        throw new PlannerError(
          "PLANNER_REPLICA_MISMATCH",
          `worker ${worker} stored ${replica.rows} rows of shard ${shardId}; ${this.#rows} were sent`,
        );
      }
      if (replica.digest !== first.digest || replica.bytes !== first.bytes) {
        throw new PlannerError(
          "PLANNER_REPLICA_MISMATCH",
          `replicas of shard ${shardId} differ: worker ${(replicas[0] as WorkerInfo).id} has ${first.bytes} bytes ` +
            `${first.digest}, worker ${worker} has ${replica.bytes} bytes ${replica.digest}`,
        );
      }
    });
    return {
      id: shardId,
      index,
      rows: first.rows,
      bytes: first.bytes,
      digest: first.digest,
      replicas: replicas.map((w) => w.id),
    };
  }

  /** Cancel every replica stream (idempotent). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    for (const stream of this.#streams) stream.cancel();
  }

  #throwFirstFailure(results: readonly PromiseSettledResult<unknown>[]): void {
    const failed = results.findIndex((result) => result.status === "rejected");
    if (failed < 0) return;
    const reason = (results[failed] as PromiseRejectedResult).reason;
    throw replicaFailure(this.target.replicas[failed] as WorkerInfo, this.target.shardId, reason);
  }
}
