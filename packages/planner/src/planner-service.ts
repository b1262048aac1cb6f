/**
 * The planner's Flight handlers: the read side (ListFlights, GetFlightInfo,
 * PollFlightInfo, GetSchema), uploads through DoPut, the ticket actions and the
 * DoAction table of docs/architecture.md. DoGet is not served here: the planner is
 * never in the data path of a read.
 *
 * Every call is measured (`PlannerMetrics.rpcFinished`) and failures other than the
 * caller's own mistakes are logged; clients only ever see FlightErrors.
 */
import {
  type Action,
  type ActionType,
  FlightError,
  type FlightServerHandlers,
  FlightUnimplementedError,
  getHeader,
  type Result,
  type ServerCallContext,
  StatusCode,
  statusCodeName,
  WellKnownAction,
} from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import { createCatalogActions } from "./catalog-actions.js";
import { type CommitNotifier, createCommitNotifier } from "./commit-notifier.js";
import { parseDatasetDescriptor } from "./dataset-descriptor.js";
import { type CallerInfo, createFlightInfoBuilder } from "./flight-info-builder.js";
import { noopPlannerMetrics, type PlannerMetrics } from "./metrics.js";
import { PlannerError } from "./planner-error.js";
import { type PlannerLogger, silentPlannerLogger } from "./planner-logger.js";
import { normalizeCallerZone, ZONE_HEADER } from "./replica-order.js";
import { createSchemaCache } from "./schema-cache.js";
import { createTicketActions } from "./ticket-actions.js";
import { createUploadCoordinator } from "./upload-coordinator.js";
import type { WorkerTransport } from "./worker-transport.js";
import { createWritePlanner } from "./write-plan.js";

/** What the planner's handlers need (the resolved planner options plus dependencies). */
export interface PlannerServiceOptions {
  readonly registry: Registry;
  readonly transport: WorkerTransport;
  readonly replicas: number;
  readonly ticketTtlMs: number;
  readonly uploadTtlMs: number;
  readonly shardTargetBytes: number;
  readonly maxMessageBytes: number;
  readonly maxDescriptorBytes: number;
  readonly maxActionBodyBytes: number;
  /** Commit notices to replica workers (default: a new notifier; the planner shares its own with the repair loop). */
  readonly notifier?: CommitNotifier;
  readonly metrics?: PlannerMetrics;
  readonly logger?: PlannerLogger;
}

/** Planner action names (besides the well-known CancelFlightInfo and RenewFlightEndpoint). */
export const PlannerAction = {
  listDatasets: "list_datasets",
  describe: "describe",
  drop: "drop",
  listWorkers: "list_workers",
  status: "status",
  beginUpload: "begin_upload",
  planShards: "plan_shards",
  commitUpload: "commit_upload",
  abortUpload: "abort_upload",
} as const;

/** Every action the planner offers, as ListActions describes them. */
export const PLANNER_ACTIONS: readonly ActionType[] = [
  {
    type: WellKnownAction.CancelFlightInfo,
    description: "CancelFlightInfoRequest -> CancelFlightInfoResult: deletes the tickets of the FlightInfo's endpoints",
  },
  {
    type: WellKnownAction.RenewFlightEndpoint,
    description: "RenewFlightEndpointRequest -> FlightEndpoint with a later expiration_time (its ticket extended)",
  },
  { type: PlannerAction.listDatasets, description: "empty -> JSON array of datasets (latest versions)" },
  { type: PlannerAction.describe, description: "dataset name -> JSON: version, schema fields, shards with replicas" },
  {
    type: PlannerAction.drop,
    description: "dataset name -> JSON {dropped}: every version; replicas delete their files",
  },
  { type: PlannerAction.listWorkers, description: "empty -> JSON array of live workers" },
  { type: PlannerAction.status, description: "empty -> JSON: workers, zones, datasets, under-replicated shards" },
  {
    type: PlannerAction.beginUpload,
    description: 'JSON {"dataset"} -> JSON {uploadId, version, expiresAt}: a write plan',
  },
  {
    type: PlannerAction.planShards,
    description: 'JSON {"uploadId", "count", "firstIndex"?} -> JSON [{shardId, index, replicas}]; renews the upload',
  },
  {
    type: PlannerAction.commitUpload,
    description: 'JSON {"uploadId", "schema" (base64 IPC), "shards": [{shardId, index}]} -> JSON summary; atomic',
  },
  { type: PlannerAction.abortUpload, description: 'JSON {"uploadId"} -> JSON; stored replicas are deleted' },
];

const utf8 = new TextEncoder();

function jsonResult(value: unknown): Result[] {
  return [{ body: utf8.encode(JSON.stringify(value)) }];
}

/** The caller as the builder sees it: zone header, identity, cancellation. */
export function callerOf(ctx: ServerCallContext): CallerInfo {
  return {
    zone: normalizeCallerZone(getHeader(ctx.headers, ZONE_HEADER)),
    principal: ctx.peerIdentity === "" ? undefined : ctx.peerIdentity,
    signal: ctx.signal,
  };
}

/** Create the planner's Flight handlers. */
export function createPlannerService(options: PlannerServiceOptions): FlightServerHandlers {
  const metrics = options.metrics ?? noopPlannerMetrics;
  const logger = options.logger ?? silentPlannerLogger;
  const { registry, transport, replicas, maxActionBodyBytes } = options;
  const schemas = createSchemaCache();
  const infos = createFlightInfoBuilder({
    registry,
    ticketTtlMs: options.ticketTtlMs,
    maxDescriptorBytes: options.maxDescriptorBytes,
    schemaCache: schemas,
    metrics,
    logger,
  });
  const tickets = createTicketActions(registry, options.ticketTtlMs);
  const catalog = createCatalogActions({ registry, transport, schemas, replicas, maxActionBodyBytes, logger });
  const notifier = options.notifier ?? createCommitNotifier({ registry, transport, metrics, logger });
  const uploads = createUploadCoordinator({ ...options, notifier, metrics, logger });
  const writes = createWritePlanner({ ...options, notifier, metrics, logger });

  const actions: Readonly<Record<string, (body: Uint8Array, signal: AbortSignal) => Promise<unknown>>> = {
    [PlannerAction.listDatasets]: (_body, signal) => catalog.listDatasets(signal),
    [PlannerAction.describe]: (body, signal) => catalog.describe(body, signal),
    [PlannerAction.drop]: (body, signal) => catalog.drop(body, signal),
    [PlannerAction.listWorkers]: (_body, signal) => catalog.listWorkers(signal),
    [PlannerAction.status]: (_body, signal) => catalog.status(signal),
    [PlannerAction.beginUpload]: (body, signal) => writes.begin(body, signal),
    [PlannerAction.planShards]: (body, signal) => writes.planShards(body, signal),
    [PlannerAction.commitUpload]: (body, signal) => writes.commit(body, signal),
    [PlannerAction.abortUpload]: (body, signal) => writes.abort(body, signal),
  };

  /** Measure and log one call. */
  async function measured<T>(method: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let code: number = StatusCode.OK;
    try {
      return await run();
    } catch (error) {
      const flight = FlightError.from(error);
      code = flight.code;
      if (code === StatusCode.INTERNAL || code === StatusCode.DATA_LOSS) {
        logger.log("error", "rpc_failed", { method, code: statusCodeName(code), error, cause: flight.cause });
      }
      throw flight;
    } finally {
      metrics.rpcFinished(method, statusCodeName(code), (performance.now() - started) / 1000);
    }
  }

  return {
    listFlights: (ctx, criteria) => measured("ListFlights", () => infos.listFlights(criteria, callerOf(ctx))),
    getFlightInfo: (ctx, descriptor) => measured("GetFlightInfo", () => infos.getFlightInfo(descriptor, callerOf(ctx))),
    pollFlightInfo: (ctx, descriptor) =>
      measured("PollFlightInfo", () => infos.pollFlightInfo(descriptor, callerOf(ctx))),
    getSchema: (ctx, descriptor) => measured("GetSchema", () => infos.getSchema(descriptor, callerOf(ctx))),
    doGet: () =>
      measured("DoGet", async () => {
        throw new FlightUnimplementedError(
          "the planner does not serve data: redeem the ticket with DoGet at one of the endpoint's locations (workers)",
        );
      }),
    doPut: (ctx, reader, writer) =>
      measured("DoPut", async () => {
        if (reader.descriptor === undefined) {
          throw new PlannerError("PLANNER_INVALID_DESCRIPTOR", "DoPut needs a PATH [dataset] descriptor");
        }
        const { dataset } = parseDatasetDescriptor(reader.descriptor, {
          maxBytes: options.maxDescriptorBytes,
          forbidColumns: true,
        });
        const summary = await uploads.ingest(dataset, reader, ctx.signal);
        await writer.write(utf8.encode(JSON.stringify(summary)));
      }),
    doAction: (ctx, action: Action) =>
      measured(`DoAction:${actions[action.type] === undefined ? "unknown" : action.type}`, async () => {
        const run = actions[action.type];
        if (run === undefined) {
          throw new PlannerError(
            "PLANNER_UNKNOWN_ACTION",
            `unknown action ${JSON.stringify(action.type.slice(0, 64))}; ListActions names the ${PLANNER_ACTIONS.length} actions offered`,
          );
        }
        return jsonResult(await run(action.body, ctx.signal));
      }),
    listActions: () => measured("ListActions", async () => PLANNER_ACTIONS),
    cancelFlightInfo: (ctx, info) =>
      measured(`DoAction:${WellKnownAction.CancelFlightInfo}`, () => tickets.cancelFlightInfo(info, ctx.signal)),
    renewFlightEndpoint: (ctx, endpoint) =>
      measured(`DoAction:${WellKnownAction.RenewFlightEndpoint}`, () =>
        tickets.renewFlightEndpoint(endpoint, ctx.signal),
      ),
  };
}
