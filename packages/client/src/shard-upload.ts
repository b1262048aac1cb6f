/**
 * ShardUpload: one shard of a parallel upload, streamed to each of its replica workers
 * with a put-shard DoPut (docs/architecture.md, "Uploads").
 *
 * The producer `push`es encoded messages; they wait in a queue bounded by the upload's
 * {@link ByteBudget} and are written to every replica in order, each write awaited on
 * every replica (backpressure from the slowest). After `end()` the replicas are closed and
 * each answers one PutResult `{shardId, rows, bytes, digest}`; `done` resolves once every
 * replica answered and they agree with each other and with the rows sent.
 */
import {
  type DoPutCall,
  type FlightDataFrame,
  FlightDescriptor,
  FlightError,
  type OutgoingHeaders,
} from "@flight-cluster/protocol";
import type { Schema } from "apache-arrow";
import type { ByteBudget } from "./byte-budget.js";
import { ClientError } from "./client-error.js";
import type { LocationPool } from "./location-pool.js";
import type { ShardPlan } from "./write-plan-client.js";

/** What every replica of a shard reported. */
export interface StoredShard {
  readonly shardId: string;
  readonly index: number;
  readonly rows: number;
  readonly bytes: number;
  readonly digest: string;
}

/** The upload a shard belongs to. */
export interface ShardUploadContext {
  readonly uploadId: string;
  readonly dataset: string;
  readonly version: number;
  readonly pool: LocationPool;
  readonly budget: ByteBudget;
  readonly headers: OutgoingHeaders;
  /** The upload's signal (aborting cancels every replica stream). */
  readonly signal: AbortSignal;
}

interface Replica {
  readonly location: string;
  readonly call: DoPutCall;
  readonly answer: Promise<Uint8Array | undefined>;
}

interface Queued {
  readonly frame: FlightDataFrame;
  readonly bytes: number;
}

function parseAnswer(plan: ShardPlan, location: string, answer: Uint8Array | undefined): StoredShard {
  if (answer === undefined) {
    throw new ClientError("CLIENT_BAD_RESPONSE", `${location} stored shard ${plan.shardId} but sent no PutResult`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(answer));
  } catch {
    throw new ClientError(
      "CLIENT_BAD_RESPONSE",
      `${location} answered shard ${plan.shardId} with a PutResult that is not JSON`,
    );
  }
  const o = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const { rows, bytes, digest } = o;
  if (typeof rows !== "number" || typeof bytes !== "number" || typeof digest !== "string") {
    throw new ClientError(
      "CLIENT_BAD_RESPONSE",
      `${location} answered shard ${plan.shardId} without rows, bytes and digest: ${JSON.stringify(value).slice(0, 120)}`,
    );
  }
  return { shardId: plan.shardId, index: plan.index, rows, bytes, digest };
}

/** One shard being uploaded to its replicas. */
export class ShardUpload {
  /** The shard's plan. */
  readonly plan: ShardPlan;
  /** Resolves when every replica stored the shard and they agree; rejects with the first failure. */
  readonly done: Promise<StoredShard>;
  readonly #context: ShardUploadContext;
  readonly #replicas: Replica[];
  readonly #controller = new AbortController();
  readonly #queue: Queued[] = [];
  #rows = 0;
  #ended = false;
  #wake: (() => void) | undefined;

  /**
   * Opens a DoPut to every replica at once (the schema goes first).
   * @throws FlightInvalidArgumentError for a bad replica location.
   */
  constructor(context: ShardUploadContext, plan: ShardPlan, schema: Schema) {
    this.#context = context;
    this.plan = plan;
    const onAbort = () => this.#controller.abort(context.signal.reason);
    context.signal.addEventListener("abort", onAbort, { once: true });
    this.#controller.signal.addEventListener("abort", () => this.#notify(), { once: true });
    const command = JSON.stringify({
      op: "put-shard",
      uploadId: context.uploadId,
      shardId: plan.shardId,
      index: plan.index,
      dataset: context.dataset,
      version: context.version,
    });
    const descriptor = FlightDescriptor.forCommand(command);
    this.#replicas = plan.replicas.map(({ location }) => {
      const { client } = context.pool.get(location);
      const call = client.doPut(descriptor, schema, { signal: this.#controller.signal, headers: context.headers });
      const answer = (async () => {
        let first: Uint8Array | undefined;
        for await (const result of call.results) first ??= result.appMetadata;
        return first;
      })();
      answer.catch(() => undefined);
      return { location, call, answer };
    });
    this.done = this.#run().finally(() => context.signal.removeEventListener("abort", onAbort));
    this.done.catch(() => undefined);
  }

  /** Queues one encoded message carrying `rows` rows; resolves once the budget admitted it. */
  async push(frame: FlightDataFrame, rows: number): Promise<void> {
    const bytes = frame.header.byteLength + frame.body.byteLength;
    await this.#context.budget.acquire(bytes, { signal: this.#controller.signal });
    this.#queue.push({ frame, bytes });
    this.#rows += rows;
    this.#notify();
  }

  /** No more messages: finish the replicas once the queue is written. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Cancels every replica stream (the shard is not stored). */
  cancel(reason: unknown): void {
    this.#controller.abort(reason);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<StoredShard> {
    try {
      for (;;) {
        this.#controller.signal.throwIfAborted();
        const item = this.#queue.shift();
        if (item === undefined) {
          if (this.#ended) break;
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          continue;
        }
        try {
          await Promise.all(this.#replicas.map((r) => r.call.writer.writeFrame(item.frame)));
        } finally {
          this.#context.budget.release(item.bytes);
        }
      }
      await Promise.all(this.#replicas.map((r) => r.call.writer.close()));
      const stored = await Promise.all(
        this.#replicas.map(async (r) => parseAnswer(this.plan, r.location, await r.answer)),
      );
      return this.#agree(stored);
    } catch (error) {
      this.#controller.abort(error);
      for (const item of this.#queue.splice(0)) this.#context.budget.release(item.bytes);
      throw this.#context.signal.aborted ? FlightError.from(this.#context.signal.reason) : FlightError.from(error);
    }
  }

  #agree(stored: StoredShard[]): StoredShard {
    const first = stored[0] as StoredShard;
    for (const [i, s] of stored.entries()) {
      if (s.rows !== this.#rows || s.rows !== first.rows || s.bytes !== first.bytes || s.digest !== first.digest) {
        throw new ClientError(
          "CLIENT_REPLICA_MISMATCH",
          `shard ${this.plan.shardId}: ${this.#rows} rows sent, but ${this.plan.replicas[i]?.location} stored ` +
            `${s.rows} rows, ${s.bytes} bytes, ${s.digest} and ${this.plan.replicas[0]?.location} ` +
            `${first.rows} rows, ${first.bytes} bytes, ${first.digest}`,
        );
      }
    }
    return first;
  }
}
