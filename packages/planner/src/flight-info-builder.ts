/**
 * FlightInfo assembly from the registry: GetFlightInfo, PollFlightInfo, GetSchema
 * and ListFlights for the descriptors the planner understands.
 *
 * GetFlightInfo answers with one endpoint per shard, in shard order (`ordered = true`):
 * every live replica's locations nearest first for the caller's zone, a ticket
 * registered in the registry in one batch (its expiry mirrored in `expiration_time`) and the shard's
 * rows, bytes and digest as JSON app_metadata. Totals are exact: rows always; bytes
 * are the stored shard bytes, reported only for unprojected reads (-1 for a projection,
 * whose size the planner cannot know without reading).
 */
import type { Criteria, FlightDescriptor, FlightEndpoint, FlightInfo, PollInfo } from "@flight-cluster/protocol";
import type { DatasetVersion, Registry, ShardInfo, TicketInfo, WorkerInfo } from "@flight-cluster/registry";
import type { Schema } from "apache-arrow";
import { type DatasetRequest, parseDatasetDescriptor } from "./dataset-descriptor.js";
import { quoteForMessage } from "./dataset-name.js";
import { noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { PlannerError } from "./planner-error.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { toFlightError } from "./registry-errors.js";
import { orderReplicas, replicaLocations } from "./replica-order.js";
import { createSchemaCache, type SchemaCache } from "./schema-cache.js";
import { type Projection, projectSchema } from "./schema-projection.js";

/** Who is asking: used to order locations and to stamp tickets. */
export interface CallerInfo {
  /** The caller's zone (`x-flight-zone`); absent means no zone preference. */
  readonly zone?: string | undefined;
  /** The authenticated identity, recorded in tickets. */
  readonly principal?: string | undefined;
  /** Aborts registry calls when the client goes away. */
  readonly signal?: AbortSignal | undefined;
}

/** Options of {@link createFlightInfoBuilder}. */
export interface FlightInfoBuilderOptions {
  readonly registry: Registry;
  /** Lifetime of issued tickets, in ms. */
  readonly ticketTtlMs: number;
  /** Largest descriptor accepted, in bytes. */
  readonly maxDescriptorBytes: number;
  readonly schemaCache?: SchemaCache;
  readonly metrics?: PlannerMetrics;
  readonly logger?: PlannerLogger;
}

/** Builds the read-side answers of the planner. Every method throws FlightErrors. */
export interface FlightInfoBuilder {
  /**
   * The plan for reading a dataset (optionally projected).
   * @throws PlannerError INVALID_ARGUMENT / RESOURCE_EXHAUSTED for bad descriptors,
   *   `PLANNER_DATASET_NOT_FOUND` (NOT_FOUND), `PLANNER_UNKNOWN_COLUMN` (INVALID_ARGUMENT),
   *   `PLANNER_SHARD_UNAVAILABLE` (UNAVAILABLE) naming a shard with no live replica.
   */
  getFlightInfo(descriptor: FlightDescriptor, caller?: CallerInfo): Promise<FlightInfo>;
  /** PollFlightInfo: the complete FlightInfo at once (no descriptor to poll again, progress 1). */
  pollFlightInfo(descriptor: FlightDescriptor, caller?: CallerInfo): Promise<PollInfo>;
  /** The (projected) schema of a dataset, without issuing tickets. Same errors as getFlightInfo. */
  getSchema(descriptor: FlightDescriptor, caller?: CallerInfo): Promise<Schema>;
  /**
   * Every dataset's latest version as a FlightInfo without endpoints (redeem with
   * GetFlightInfo on the returned `PATH [name]` descriptor). A non-empty criteria
   * expression is a UTF-8 name prefix.
   */
  listFlights(criteria?: Criteria, caller?: CallerInfo): Promise<FlightInfo[]>;
}

/** JSON carried by every endpoint's app_metadata. */
export interface EndpointMetadata {
  readonly shard: string;
  readonly index: number;
  readonly rows: number;
  readonly bytes: number;
  readonly digest: string;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON app_metadata of an endpoint, per docs/architecture.md. */
export function endpointMetadata(shard: ShardInfo): Uint8Array {
  const value: EndpointMetadata = {
    shard: shard.id,
    index: shard.index,
    rows: shard.rows,
    bytes: shard.bytes,
    digest: shard.digest,
  };
  return utf8.encode(JSON.stringify(value));
}

/** Create a {@link FlightInfoBuilder} over a registry. */
export function createFlightInfoBuilder(options: FlightInfoBuilderOptions): FlightInfoBuilder {
  const { registry, ticketTtlMs, maxDescriptorBytes } = options;
  const schemas = options.schemaCache ?? createSchemaCache();
  const metrics = options.metrics ?? noopPlannerMetrics;
  const logger = options.logger ?? silentPlannerLogger;

  async function load(descriptor: FlightDescriptor, caller: CallerInfo) {
    const request = parseDatasetDescriptor(descriptor, { maxBytes: maxDescriptorBytes });
    const dataset = await registry.getDataset(request.dataset, undefined, caller.signal).catch(rethrow);
    if (dataset === null) {
      throw new PlannerError("PLANNER_DATASET_NOT_FOUND", `dataset ${quoteForMessage(request.dataset)} does not exist`);
    }
    const projection = project(request, dataset);
    return { request, dataset, projection };
  }

  function project(request: DatasetRequest, dataset: DatasetVersion): Projection {
    const schema = schemas.get(dataset.name, dataset.version, dataset.schema);
    return projectSchema(dataset.name, schema, request.columns);
  }

  async function getFlightInfo(descriptor: FlightDescriptor, caller: CallerInfo = {}): Promise<FlightInfo> {
    // Both registry reads at once: one round trip instead of two.
    const listing = registry.listWorkers(caller.signal);
    listing.catch(() => undefined); // awaited below; do not report a rejection twice
    const { dataset, projection } = await load(descriptor, caller);
    const workers = await listing.catch(rethrow);
    const live = new Map<string, WorkerInfo>(workers.map((worker) => [worker.id, worker]));
    const located = dataset.shards.map((shard) => {
      const replicas = shard.replicas.flatMap((id) => {
        const worker = live.get(id);
        return worker === undefined ? [] : [worker];
      });
      if (replicas.length === 0) {
        throw new PlannerError(
          "PLANNER_SHARD_UNAVAILABLE",
          `shard ${shard.index} (${shard.id}) of dataset ${quoteForMessage(dataset.name)} version ${dataset.version} ` +
            `has no live replica (replicas: ${shard.replicas.join(", ") || "none"}); retry after repair or a worker restart`,
        );
      }
      return { shard, locations: replicaLocations(orderReplicas(shard.id, replicas, caller.zone)) };
    });
    const tickets = await issueTickets(dataset, projection, caller);
    const endpoints = located.map(({ shard, locations }, i): FlightEndpoint => {
      const ticket = tickets[i] as TicketInfo;
      return {
        ticket: { ticket: utf8.encode(ticket.id) },
        locations: locations.map((uri) => ({ uri })),
        expirationTime: new Date(ticket.expiresAt),
        appMetadata: endpointMetadata(shard),
      };
    });
    return {
      schema: projection.schema,
      descriptor,
      endpoints,
      totalRecords: dataset.totalRows,
      totalBytes: projection.columns === undefined ? dataset.totalBytes : -1,
      ordered: true,
      appMetadata: datasetMetadata(dataset),
    };
  }

  async function issueTickets(dataset: DatasetVersion, projection: Projection, caller: CallerInfo) {
    const base = {
      dataset: dataset.name,
      version: dataset.version,
      ...(projection.columns === undefined ? {} : { columns: projection.columns }),
      ...(caller.principal === undefined ? {} : { principal: caller.principal }),
    };
    // One batch: a single registry round trip for every endpoint's ticket.
    const tickets = await registry
      .createTickets(
        dataset.shards.map((shard) => ({ ...base, shardId: shard.id })),
        ticketTtlMs,
        caller.signal,
      )
      .catch(rethrow);
    metrics.ticketsIssued(tickets.length);
    return tickets;
  }

  return {
    getFlightInfo,
    async pollFlightInfo(descriptor, caller = {}) {
      const info = await getFlightInfo(descriptor, caller);
      return { info, progress: 1 };
    },
    async getSchema(descriptor, caller = {}) {
      return (await load(descriptor, caller)).projection.schema;
    },
    async listFlights(criteria, caller = {}) {
      const prefix = criteriaPrefix(criteria);
      const summaries = await registry.listDatasets(caller.signal).catch(rethrow);
      const infos: FlightInfo[] = [];
      for (const summary of summaries) {
        if (!summary.name.startsWith(prefix)) continue;
        let schema: Schema;
        try {
          schema = schemas.get(summary.name, summary.version, summary.schema);
        } catch (error) {
          logger.log("error", "dataset_schema_unreadable", { dataset: summary.name, version: summary.version, error });
          continue;
        }
        infos.push({
          schema,
          descriptor: { type: "path", path: [summary.name] },
          endpoints: [],
          totalRecords: summary.totalRows,
          totalBytes: summary.totalBytes,
          ordered: true,
          appMetadata: utf8.encode(
            JSON.stringify({
              dataset: summary.name,
              version: summary.version,
              shards: summary.shardCount,
              createdAt: summary.createdAt,
            }),
          ),
        });
      }
      return infos;
    },
  };
}

function datasetMetadata(dataset: DatasetVersion): Uint8Array {
  return utf8.encode(
    JSON.stringify({
      dataset: dataset.name,
      version: dataset.version,
      shards: dataset.shards.length,
      createdAt: dataset.createdAt,
    }),
  );
}

function criteriaPrefix(criteria: Criteria | undefined): string {
  if (criteria === undefined || criteria.expression.byteLength === 0) return "";
  try {
    return strictUtf8.decode(criteria.expression);
  } catch {
    throw new PlannerError(
      "PLANNER_INVALID_DESCRIPTOR",
      "ListFlights criteria must be a UTF-8 dataset name prefix (or empty for every dataset)",
    );
  }
}

function rethrow(error: unknown): never {
  throw toFlightError(error);
}
