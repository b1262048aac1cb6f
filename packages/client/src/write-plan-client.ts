/**
 * The planner's write-plan actions as the parallel upload uses them (docs/architecture.md,
 * "Uploads"): `begin_upload`, `plan_shards` (asked ahead in blocks, which also renews the
 * pending upload), `commit_upload` and `abort_upload`.
 */
import { encodeSchema, type FlightClient, type OutgoingHeaders } from "@flight-cluster/protocol";
import type { Schema } from "apache-arrow";
import { ClientError } from "./client-error.js";
import { JsonFields, jsonAction } from "./cluster-actions.js";

/** What `begin_upload` answers. */
export interface UploadPlan {
  readonly uploadId: string;
  readonly version: number;
  /** When the pending upload lapses unless renewed, ms since epoch. */
  readonly expiresAt: number;
  /** Replicas per shard. */
  readonly replicas: number;
  /** The planner's shard target, Arrow body bytes. */
  readonly shardTargetBytes: number;
}

/** One replica of a planned shard. */
export interface PlannedReplica {
  readonly workerId: string;
  readonly zone: string;
  /** Where to DoPut the replica. */
  readonly location: string;
}

/** A planned shard. */
export interface ShardPlan {
  readonly shardId: string;
  readonly index: number;
  readonly replicas: readonly PlannedReplica[];
}

/** What a committed upload produced (the planner's `commit_upload` answer). */
export interface PutSummary {
  readonly dataset: string;
  readonly version: number;
  readonly uploadId: string;
  readonly shards: number;
  readonly rows: number;
  /** Stored bytes of one copy. */
  readonly bytes: number;
  readonly replicas: number;
}

/** Shards planned per `plan_shards` call. */
const PLAN_BLOCK = 16;

function replicaOf(value: unknown): PlannedReplica {
  const f = new JsonFields("plan_shards", value);
  return { workerId: f.string("workerId"), zone: f.string("zone"), location: f.string("location") };
}

function shardOf(value: unknown): ShardPlan {
  const f = new JsonFields("plan_shards", value);
  return { shardId: f.string("shardId"), index: f.integer("index"), replicas: f.array("replicas").map(replicaOf) };
}

/** Write-plan calls of one upload. */
export class WritePlanClient {
  readonly #client: FlightClient;
  readonly #timeoutMs: number;
  readonly #headers: OutgoingHeaders;
  readonly #signal: AbortSignal;
  readonly #plans = new Map<number, Promise<ShardPlan>>();
  #plan: UploadPlan | undefined;

  constructor(client: FlightClient, options: { timeoutMs: number; headers: OutgoingHeaders; signal: AbortSignal }) {
    this.#client = client;
    this.#timeoutMs = options.timeoutMs;
    this.#headers = options.headers;
    this.#signal = options.signal;
  }

  #options() {
    return { timeoutMs: this.#timeoutMs, headers: this.#headers, signal: this.#signal };
  }

  /** The plan from `begin`. @throws ClientError before `begin`. */
  get plan(): UploadPlan {
    if (this.#plan === undefined) throw new ClientError("CLIENT_BAD_RESPONSE", "no upload was begun");
    return this.#plan;
  }

  /** `begin_upload`. @throws the planner's FlightError; `CLIENT_BAD_RESPONSE`. */
  async begin(dataset: string): Promise<UploadPlan> {
    const f = new JsonFields(
      "begin_upload",
      await jsonAction(this.#client, "begin_upload", { dataset }, this.#options()),
    );
    this.#plan = {
      uploadId: f.string("uploadId"),
      version: f.integer("version"),
      expiresAt: f.integer("expiresAt"),
      replicas: f.integer("replicas"),
      shardTargetBytes: f.integer("shardTargetBytes"),
    };
    return this.#plan;
  }

  /** The plan of shard `index` (planned with the next ones in one call). */
  shard(index: number): Promise<ShardPlan> {
    let plan = this.#plans.get(index);
    if (plan === undefined) {
      const block = this.#planBlock(index, PLAN_BLOCK);
      for (let i = 0; i < PLAN_BLOCK; i++) {
        const entry = block.then((shards) => {
          const found = shards.find((s) => s.index === index + i);
          if (found === undefined) {
            throw new ClientError("CLIENT_BAD_RESPONSE", `plan_shards did not plan shard ${index + i}`);
          }
          return found;
        });
        entry.catch(() => undefined);
        if (!this.#plans.has(index + i)) this.#plans.set(index + i, entry);
      }
      plan = this.#plans.get(index) as Promise<ShardPlan>;
    }
    return plan;
  }

  /** Renews the pending upload (a `plan_shards` call for one shard). */
  async renew(nextIndex: number): Promise<void> {
    await this.#planBlock(nextIndex, 1);
  }

  async #planBlock(firstIndex: number, count: number): Promise<ShardPlan[]> {
    const body = { uploadId: this.plan.uploadId, count, firstIndex };
    const answer = await jsonAction(this.#client, "plan_shards", body, this.#options());
    if (!Array.isArray(answer)) throw new ClientError("CLIENT_BAD_RESPONSE", "plan_shards did not answer an array");
    return answer.map(shardOf);
  }

  /** `commit_upload` with the schema and every shard. @returns the planner's summary. */
  async commit(schema: Schema, shards: ReadonlyArray<{ shardId: string; index: number }>): Promise<PutSummary> {
    const body = {
      uploadId: this.plan.uploadId,
      schema: Buffer.from(encodeSchema(schema)).toString("base64"),
      shards: shards.map(({ shardId, index }) => ({ shardId, index })),
    };
    const f = new JsonFields("commit_upload", await jsonAction(this.#client, "commit_upload", body, this.#options()));
    return {
      dataset: f.string("dataset"),
      version: f.integer("version"),
      uploadId: f.string("uploadId"),
      shards: f.integer("shards"),
      rows: f.integer("rows"),
      bytes: f.integer("bytes"),
      replicas: f.integer("replicas"),
    };
  }

  /** `abort_upload`, best effort (its own deadline; never throws). */
  async abort(): Promise<void> {
    if (this.#plan === undefined) return;
    try {
      await jsonAction(
        this.#client,
        "abort_upload",
        { uploadId: this.#plan.uploadId },
        {
          timeoutMs: this.#timeoutMs,
          headers: this.#headers,
        },
      );
    } catch {
      // The planner's repair loop aborts expired uploads and workers collect orphans.
    }
  }
}
