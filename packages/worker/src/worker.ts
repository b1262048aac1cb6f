/**
 * `startWorker`: one data node. Opens the shard store (recovering from any crash),
 * collects orphans, serves Flight, registers in the registry and heartbeats.
 *
 * Lifecycle: `starting` -> `serving` -> `draining` -> `stopped`. `drain(graceMs)`
 * deregisters first (planners stop routing to this worker), then lets in-flight calls
 * finish for up to `graceMs` before cancelling them; `close()` is `drain(0)`.
 * A worker fenced by a newer process with the same id keeps serving reads but
 * refuses writes (`fenced` is true).
 */
import { statfs } from "node:fs/promises";
import { hostname } from "node:os";
import { type FlightLogger, FlightServer, formatHost, SendBufferPool } from "@flight-cluster/protocol";
import { createRegistry, type Registry } from "@flight-cluster/registry";
import { type CpuPool, createCpuPool } from "./cpu-pool.js";
import { Heartbeat } from "./heartbeat.js";
import type { ManifestEntry } from "./manifest.js";
import { OrphanCollector } from "./orphan-gc.js";
import { ShardStore } from "./shard-store.js";
import { TicketCache } from "./ticket-cache.js";
import { WorkerActivity } from "./worker-activity.js";
import type { WorkerContext } from "./worker-context.js";
import { WorkerFencedError, WorkerNotServingError } from "./worker-errors.js";
import { resolveWorkerOptions, type WorkerOptions } from "./worker-options.js";
import { createWorkerService } from "./worker-service.js";

/** Lifecycle state of a worker. */
export type WorkerState = "starting" | "serving" | "draining" | "stopped";

/** A running worker. */
export interface RunningWorker {
  /** The worker id (stable across restarts of one data directory). */
  readonly id: string;
  /** The advertised location (what the registry lists). */
  readonly uri: string;
  /** The bound port. */
  readonly port: number;
  readonly zone: string;
  readonly state: WorkerState;
  /** True once a newer process registered this id (writes are refused). */
  readonly fenced: boolean;
  /** The current registration epoch. */
  readonly epoch: number | undefined;
  /** The shards held (manifest entries). */
  shards(): ManifestEntry[];
  /** Run one orphan-collection pass now (normally on a timer). */
  collectOrphans(): Promise<{ committed: number; deleted: number; kept: number }>;
  /** Send one heartbeat now (normally on a timer). */
  heartbeat(): Promise<void>;
  /** Deregister, stop taking calls, give in-flight calls `graceMs` ms, then stop. Idempotent. */
  drain(graceMs: number): Promise<void>;
  /** `drain(0)`. */
  close(): Promise<void>;
}

function defaultAdvertise(host: string, port: number): string {
  const wildcard = host === "0.0.0.0" || host === "::" || host === "[::]";
  return `grpc+tcp://${formatHost(wildcard ? hostname() : host)}:${port}`;
}

async function freeBytes(dir: string): Promise<number> {
  try {
    const s = await statfs(dir);
    return Math.max(0, Math.floor(Number(s.bavail) * Number(s.bsize)));
  } catch {
    return 0;
  }
}

/**
 * Start a worker.
 * @throws WorkerOptionsError for bad options; ManifestCorruptError when the data
 * directory's manifest is unreadable; the registry's or server's error when the worker
 * cannot register or listen (everything started is stopped first).
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const o = resolveWorkerOptions(options);
  const { logger, metrics } = o;
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    let registry: Registry;
    if (typeof o.registry === "string") {
      const opened = await createRegistry(o.registry);
      cleanups.push(() => opened.close());
      registry = opened;
    } else {
      registry = o.registry;
    }
    let pool: CpuPool;
    if (o.cpuPool === undefined) {
      const created = createCpuPool({ threads: o.cpuThreads, onTask: (k, out, sec) => metrics.cpuTask(k, out, sec) });
      cleanups.push(() => created.close());
      pool = created;
    } else {
      pool = o.cpuPool;
    }
    const store = await ShardStore.open({
      dataDir: o.dataDir,
      workerId: o.id,
      maxMessageBytes: o.maxMessageBytes,
      maxShardBytes: o.maxShardBytes,
      hashInline: o.digest === "inline",
      digestFile: (path, signal) => pool.digestFile(path, signal),
      rechunker: pool,
      logger,
    });
    const workerId = store.workerId;
    let state: WorkerState = "starting";
    let fenced = false;
    let heartbeat: Heartbeat | undefined;
    const activity = new WorkerActivity(metrics);
    const wc: WorkerContext = {
      options: o,
      store,
      registry,
      tickets: new TicketCache({ registry, ttlMs: o.ticketCacheMs }),
      pool,
      sendBuffers: new SendBufferPool(o.maxMessageBytes),
      activity,
      logger,
      metrics,
      workerId,
      checkWritable() {
        if (fenced) throw new WorkerFencedError(`worker ${workerId} is fenced: a newer process registered this id`);
        if (state !== "serving") throw new WorkerNotServingError(`worker ${workerId} is ${state}`);
      },
      shardsChanged() {
        metrics.shardsHeld(store.size, store.bytesHeld);
        heartbeat?.announceSoon();
      },
    };
    metrics.shardsHeld(store.size, store.bytesHeld);
    const collector = new OrphanCollector({
      store,
      registry,
      orphanGraceMs: o.orphanGraceMs,
      droppedGraceMs: o.droppedGraceMs,
      logger,
      metrics,
      onChanged: () => wc.shardsChanged(),
      // A new epoch means the registration had to be recreated: the registry may have lost its data.
      epoch: () => heartbeat?.info?.epoch,
    });
    cleanups.push(() => collector.stop());
    await collector.runOnce().catch((error: unknown) => logger.log("warn", "orphan_gc_failed", { error }));

    const flightLogger: FlightLogger = {
      error: (message, fields) => logger.log("error", "flight_server_error", { message, ...fields }),
      warn: (message, fields) => logger.log("warn", "flight_server_warning", { message, ...fields }),
      info: (message, fields) => logger.log("debug", "flight_server", { message, ...fields }),
    };
    const server = new FlightServer(createWorkerService(wc), {
      maxMessageBytes: o.maxMessageBytes,
      logger: flightLogger,
      ...o.server,
    });
    cleanups.push(() => server.drain(0));
    const bound = await server.listen({ host: o.host, port: o.port });
    const uri = o.advertise ?? defaultAdvertise(o.host, bound.port);

    const hb = new Heartbeat({
      registry,
      registration: {
        id: workerId,
        locations: [uri],
        zone: o.zone,
        capacity: o.capacityBytes ?? (await freeBytes(o.dataDir)),
        ttlMs: o.heartbeatTtlMs,
      },
      load: () => activity.sampleLoad(),
      shards: () => store.list(),
      logger,
      metrics,
      onFenced: () => {
        fenced = true;
      },
    });
    heartbeat = hb;
    const info = await hb.start();
    cleanups.push(() => hb.stop(true));
    collector.start(o.gcIntervalMs);
    state = "serving";
    logger.log("info", "worker_serving", {
      workerId,
      uri,
      zone: o.zone,
      epoch: info.epoch,
      shards: store.size,
      dataDir: o.dataDir,
      cpuThreads: pool.threads,
    });

    let stopping: Promise<void> | undefined;
    const drain = (graceMs: number): Promise<void> => {
      stopping ??= (async () => {
        state = "draining";
        logger.log("info", "worker_draining", { workerId, graceMs, inFlight: server.inFlight });
        await hb.stop(true);
        await collector.stop();
        await server.drain(graceMs);
        await cleanup();
        state = "stopped";
        logger.log("info", "worker_stopped", { workerId });
      })();
      return stopping;
    };
    return {
      id: workerId,
      uri,
      port: bound.port,
      zone: o.zone,
      get state() {
        return state;
      },
      get fenced() {
        return fenced;
      },
      get epoch() {
        return hb.info?.epoch;
      },
      shards: () => store.list(),
      collectOrphans: () => collector.runOnce(),
      heartbeat: () => hb.tick(),
      drain,
      close: () => drain(0),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
