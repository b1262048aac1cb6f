/**
 * A small generic Flight service for the client's tests (not a flight-cluster planner):
 * several servers ("replicas") in this process serving the same data. GetFlightInfo on
 * any of them answers `endpoints` endpoints of `batchesPerEndpoint` batches each, whose
 * locations a test chooses; DoGet serves ticket `e<i>` from any replica. Per replica a
 * test can make DoGets fail or stall after some batches, and can make it honour the
 * resume header (skip and acknowledge) or ignore it, as other Flight services do.
 */
import {
  type FlightEndpoint,
  FlightError,
  type FlightInfo,
  FlightServer,
  FlightUnavailableError,
  GeneratorStream,
  getHeader,
  type ServerCallContext,
  StatusCode,
  silentLogger,
} from "@flight-cluster/protocol";
import { type RecordBatch, type Schema, tableFromArrays } from "apache-arrow";

/** Header of the resume protocol (docs/architecture.md). */
const SKIP = "x-flight-cluster-skip-batches";

/** Behaviour of one replica; tests may change it between fetches. */
export interface ReplicaBehaviour {
  /** Skip the batches the resume header asks for and acknowledge it. Default false (ignore it). */
  honourSkip: boolean;
  /** The next DoGet of these tickets on this replica fails with UNAVAILABLE after this many batches (once). */
  failAfter: Map<string, number>;
  /** DoGets of every ticket stop after this many batches until cancelled (undefined: never). */
  stallAfter: number | undefined;
}

/** One server of the toy service. */
export interface ToyReplica {
  readonly uri: string;
  readonly behaviour: ReplicaBehaviour;
  /** DoGet calls received, per ticket. */
  readonly doGets: Map<string, number>;
  /** Skip header values received. */
  readonly skipsAsked: number[];
  /** DoGets that ended by the client's cancellation. */
  cancelled: number;
  /** DoGets in progress. */
  active: number;
}

/** Options of {@link startToyService}. */
export interface ToyServiceOptions {
  readonly replicas: number;
  readonly endpoints: number;
  readonly batchesPerEndpoint: number;
  readonly rowsPerBatch: number;
  /** Locations of endpoint `i` given the replicas' URIs. Default: every replica, rotated by `i`. */
  readonly locations?: (index: number, uris: readonly string[]) => readonly string[];
  /** `FlightInfo.ordered`. Default true. */
  readonly ordered?: boolean;
}

/** A running toy service. */
export interface ToyService {
  readonly replicas: readonly ToyReplica[];
  /** The first DoGet of these tickets, on whichever replica, fails with UNAVAILABLE after this many batches. */
  readonly failFirst: Map<string, number>;
  readonly schema: Schema;
  /** Total rows of the flight. */
  readonly rows: number;
  close(): Promise<void>;
}

/** Batch `b` of endpoint `e`: column `id` = e * 1_000_000 + b * rowsPerBatch + row. */
function batchOf(e: number, b: number, rowsPerBatch: number): RecordBatch {
  const id = new Int32Array(rowsPerBatch);
  for (let i = 0; i < rowsPerBatch; i++) id[i] = e * 1_000_000 + b * rowsPerBatch + i;
  return tableFromArrays({ id, payload: new Float64Array(rowsPerBatch).fill(e) }).batches[0] as RecordBatch;
}

/** The id column of a whole fetch in endpoint order. */
export function expectedIds(options: ToyServiceOptions): number[] {
  const out: number[] = [];
  for (let e = 0; e < options.endpoints; e++) {
    for (let i = 0; i < options.batchesPerEndpoint * options.rowsPerBatch; i++) out.push(e * 1_000_000 + i);
  }
  return out;
}

function waitForCancel(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Starts the replicas on 127.0.0.1 port 0. */
export async function startToyService(options: ToyServiceOptions): Promise<ToyService> {
  const schema = batchOf(0, 0, 1).schema;
  const servers: FlightServer[] = [];
  const replicas: ToyReplica[] = [];
  const uris: string[] = [];
  const failFirst = new Map<string, number>();
  const info = (): FlightInfo => {
    const endpoints: FlightEndpoint[] = [];
    for (let i = 0; i < options.endpoints; i++) {
      const locations = options.locations?.(i, uris) ?? uris.map((_, k) => uris[(i + k) % uris.length] as string);
      endpoints.push({
        ticket: { ticket: new TextEncoder().encode(`e${i}`) },
        locations: locations.map((uri) => ({ uri })),
        appMetadata: new Uint8Array(0),
      });
    }
    return {
      schema,
      descriptor: { type: "path", path: ["toy"] },
      endpoints,
      totalRecords: options.endpoints * options.batchesPerEndpoint * options.rowsPerBatch,
      totalBytes: -1,
      ordered: options.ordered ?? true,
      appMetadata: new Uint8Array(0),
    };
  };
  for (let r = 0; r < options.replicas; r++) {
    const replica: ToyReplica = {
      uri: "",
      behaviour: { honourSkip: false, failAfter: new Map(), stallAfter: undefined },
      doGets: new Map(),
      skipsAsked: [],
      cancelled: 0,
      active: 0,
    };
    async function* serve(ctx: ServerCallContext, ticket: string, skip: number, failAt: number | undefined) {
      const endpoint = Number(ticket.slice(1));
      replica.active++;
      try {
        for (let b = skip; b < options.batchesPerEndpoint; b++) {
          if (failAt !== undefined && b - skip >= failAt) {
            throw new FlightUnavailableError(`replica ${r} fails ${ticket} after ${failAt} batches`);
          }
          if (replica.behaviour.stallAfter !== undefined && b - skip >= replica.behaviour.stallAfter) {
            await waitForCancel(ctx.signal);
            replica.cancelled++;
            return;
          }
          yield batchOf(endpoint, b, options.rowsPerBatch);
        }
      } finally {
        replica.active--;
      }
    }
    const server = new FlightServer(
      {
        getFlightInfo: () => info(),
        doGet(ctx, ticket) {
          const id = new TextDecoder().decode(ticket.ticket);
          if (!/^e\d+$/.test(id) || Number(id.slice(1)) >= options.endpoints) {
            throw new FlightError(StatusCode.NOT_FOUND, `unknown ticket ${id}`);
          }
          replica.doGets.set(id, (replica.doGets.get(id) ?? 0) + 1);
          const asked = Number(getHeader(ctx.headers, SKIP) ?? "0");
          if (asked > 0) replica.skipsAsked.push(asked);
          const skip = replica.behaviour.honourSkip ? asked : 0;
          if (replica.behaviour.honourSkip && asked > 0) ctx.addHeader(SKIP, String(asked));
          const failAt = replica.behaviour.failAfter.get(id) ?? failFirst.get(id);
          replica.behaviour.failAfter.delete(id);
          failFirst.delete(id);
          return new GeneratorStream(schema, serve(ctx, id, skip, failAt));
        },
        listActions: () => [],
      },
      { logger: silentLogger },
    );
    const bound = await server.listen({ host: "127.0.0.1", port: 0 });
    (replica as { uri: string }).uri = bound.location.uri;
    uris.push(bound.location.uri);
    servers.push(server);
    replicas.push(replica);
  }
  return {
    replicas,
    failFirst,
    schema,
    rows: options.endpoints * options.batchesPerEndpoint * options.rowsPerBatch,
    async close() {
      for (const s of servers) await s.close();
    },
  };
}
