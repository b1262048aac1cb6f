/**
 * The planner's catalog actions (docs/architecture.md, "Actions (planner)"):
 * `list_datasets`, `describe`, `drop`, `list_workers` and `status`. Each answers one
 * JSON document.
 */
import type { DatasetVersion, Registry, WorkerInfo } from "@flight-cluster/registry";
import type { Schema } from "apache-arrow";
import { datasetNameBody } from "./action-body.js";
import { findUnderReplicated, listCommittedVersions, type UnderReplicatedShard } from "./catalog-health.js";
import { quoteForMessage, validateDatasetName } from "./dataset-name.js";
import { PlannerError } from "./planner-error.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { toFlightError } from "./registry-errors.js";
import type { SchemaCache } from "./schema-cache.js";
import { deleteShardReplicas } from "./upload-cleanup.js";
import type { WorkerTransport } from "./worker-transport.js";

/** A schema field as the JSON answers show it. */
export interface FieldSummary {
  readonly name: string;
  /** apache-arrow's rendering of the type, e.g. `Int64`, `Utf8`, `Dictionary<Int32, Utf8>`. */
  readonly type: string;
  readonly nullable: boolean;
}

/** Options of {@link createCatalogActions}. */
export interface CatalogActionsOptions {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  readonly schemas: SchemaCache;
  readonly replicas: number;
  readonly maxActionBodyBytes: number;
  readonly logger?: PlannerLogger;
}

/** The catalog actions; each returns a JSON-serializable value. Errors are FlightErrors. */
export interface CatalogActions {
  listDatasets(signal?: AbortSignal): Promise<unknown>;
  /** @throws PlannerError `PLANNER_DATASET_NOT_FOUND`, `PLANNER_INVALID_DATASET_NAME`. */
  describe(body: Uint8Array, signal?: AbortSignal): Promise<unknown>;
  /** Drops every version; replicas delete their files. @throws as describe. */
  drop(body: Uint8Array, signal?: AbortSignal): Promise<unknown>;
  listWorkers(signal?: AbortSignal): Promise<unknown>;
  status(signal?: AbortSignal): Promise<unknown>;
}

function fields(schema: Schema): FieldSummary[] {
  return schema.fields.map((field) => ({ name: field.name, type: String(field.type), nullable: field.nullable }));
}

function workerJson(worker: WorkerInfo) {
  const { id, epoch, zone, locations, capacity, load, startedAt, lastSeenAt, expiresAt } = worker;
  return { id, epoch, zone, locations, capacity, load, startedAt, lastSeenAt, expiresAt };
}

function rethrow(error: unknown): never {
  throw toFlightError(error);
}

/** Create the catalog actions. */
export function createCatalogActions(options: CatalogActionsOptions): CatalogActions {
  const { registry, schemas, maxActionBodyBytes } = options;
  const logger = options.logger ?? silentPlannerLogger;

  const datasetName = (action: string, body: Uint8Array) =>
    validateDatasetName(datasetNameBody(action, body, maxActionBodyBytes));

  const schemaFields = (dataset: { name: string; version: number; schema: Uint8Array }) => {
    try {
      return fields(schemas.get(dataset.name, dataset.version, dataset.schema));
    } catch (error) {
      logger.log("error", "dataset_schema_unreadable", { dataset: dataset.name, version: dataset.version, error });
      return [];
    }
  };

  return {
    async listDatasets(signal) {
      const summaries = await registry.listDatasets(signal).catch(rethrow);
      return summaries.map((summary) => ({
        name: summary.name,
        version: summary.version,
        shards: summary.shardCount,
        rows: summary.totalRows,
        bytes: summary.totalBytes,
        createdAt: summary.createdAt,
        fields: schemaFields(summary),
      }));
    },

    async describe(body, signal) {
      const name = datasetName("describe", body);
      const [dataset, versions, workers] = await Promise.all([
        registry.getDataset(name, undefined, signal),
        registry.listDatasetVersions(name, signal),
        registry.listWorkers(signal),
      ]).catch(rethrow);
      if (dataset === null) {
        throw new PlannerError("PLANNER_DATASET_NOT_FOUND", `dataset ${quoteForMessage(name)} does not exist`);
      }
      const live = new Map(workers.map((worker) => [worker.id, worker]));
      return {
        name: dataset.name,
        version: dataset.version,
        versions,
        createdAt: dataset.createdAt,
        rows: dataset.totalRows,
        bytes: dataset.totalBytes,
        fields: schemaFields(dataset),
        shards: dataset.shards.map((shard) => ({
          shardId: shard.id,
          index: shard.index,
          rows: shard.rows,
          bytes: shard.bytes,
          digest: shard.digest,
          replicas: shard.replicas.map((id) => {
            const worker = live.get(id);
            return worker === undefined
              ? { workerId: id, live: false }
              : { workerId: id, live: true, zone: worker.zone, location: worker.locations[0] };
          }),
        })),
      };
    },

    async drop(body, signal) {
      const name = datasetName("drop", body);
      const dropped: DatasetVersion[] = await registry.dropDataset(name, undefined, signal).catch(rethrow);
      if (dropped.length === 0) {
        throw new PlannerError("PLANNER_DATASET_NOT_FOUND", `dataset ${quoteForMessage(name)} does not exist`);
      }
      // The catalog no longer lists the shards: delete their files.
      const shards = dropped.flatMap((version) =>
        version.shards.map((shard) => ({ id: shard.id, replicas: shard.replicas })),
      );
      const { deleted, skipped } = await deleteShardReplicas(
        { registry, transport: options.transport, logger },
        shards,
        {
          dataset: name,
        },
      );
      logger.log("info", "dataset_dropped", {
        dataset: name,
        versions: dropped.map((v) => v.version),
        deleted,
        skipped,
      });
      return {
        dropped: name,
        versions: dropped.map((v) => v.version),
        deletedReplicas: deleted,
        leftToWorkerGc: skipped,
      };
    },

    async listWorkers(signal) {
      return (await registry.listWorkers(signal).catch(rethrow)).map(workerJson);
    },

    async status(signal) {
      const [workers, lost, datasets] = await Promise.all([
        registry.listWorkers(signal),
        registry.listLostWorkers(signal),
        listCommittedVersions(registry, signal),
      ]).catch(rethrow);
      const zones: Record<string, number> = {};
      for (const worker of workers) zones[worker.zone] = (zones[worker.zone] ?? 0) + 1;
      const under: UnderReplicatedShard[] = findUnderReplicated(datasets, workers, options.replicas);
      const latest = new Map<string, DatasetVersion>();
      for (const dataset of datasets) {
        const known = latest.get(dataset.name);
        if (known === undefined || known.version < dataset.version) latest.set(dataset.name, dataset);
      }
      return {
        replicas: options.replicas,
        workers: workers.map(workerJson),
        lostWorkers: lost,
        zones,
        datasets: [...latest.values()].map((dataset) => ({
          name: dataset.name,
          version: dataset.version,
          shards: dataset.shards.length,
          rows: dataset.totalRows,
          bytes: dataset.totalBytes,
          replicas: dataset.shards.reduce((sum, shard) => sum + shard.replicas.length, 0),
        })),
        shards: datasets.reduce((sum, dataset) => sum + dataset.shards.length, 0),
        underReplicated: under,
        unavailable: under.filter((shard) => shard.liveReplicas.length === 0).length,
      };
    },
  };
}
