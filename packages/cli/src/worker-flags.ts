/** Worker flags shared by `worker` and `up`, and their translation to worker options. */
import type { OptionSpec, ParsedArgs } from "./command.js";

/** Flags of the worker's behaviour (not its address, zone or data directory). */
export const WORKER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  "heartbeat-ttl": {
    type: "string",
    value: "DURATION",
    description: "registration TTL; heartbeats every third of it; a dead worker leaves the listings after it",
    defaultText: "10s",
  },
  capacity: {
    type: "string",
    value: "SIZE",
    description: "shard storage offered to placement",
    defaultText: "free space of the data directory",
  },
  "cpu-threads": {
    type: "string",
    value: "N",
    description: "CPU pool threads for digests, re-chunking, Parquet (0: on the main thread)",
    defaultText: "cores - 1, 1..4",
  },
  "max-shard-bytes": { type: "string", value: "SIZE", description: "largest shard accepted", defaultText: "4GiB" },
  "ticket-cache": {
    type: "string",
    value: "DURATION",
    description: "how long a resolved ticket is reused without asking the registry",
    defaultText: "2s",
  },
  "orphan-grace": {
    type: "string",
    value: "DURATION",
    description: "age after which an uncommitted shard whose upload is gone is deleted",
    defaultText: "2m",
  },
};

/** The worker options the flags set (absent when not given, so the worker's defaults apply). */
export interface WorkerFlagValues {
  readonly heartbeatTtlMs: number;
  readonly capacityBytes?: number;
  readonly cpuThreads?: number;
  readonly maxShardBytes?: number;
  readonly ticketCacheMs?: number;
  readonly orphanGraceMs?: number;
}

/** Read the worker flags. @throws CliError CLI_USAGE for bad values. */
export function workerFlags(args: ParsedArgs): WorkerFlagValues {
  const optional = <T>(name: string, read: () => T): T | undefined =>
    args.string(name) === undefined ? undefined : read();
  const values: Record<string, number | undefined> = {
    heartbeatTtlMs: args.durationMs("heartbeat-ttl", 10_000, 300, 86_400_000),
    capacityBytes: optional("capacity", () => args.bytes("capacity", 0, 0, 2 ** 52)),
    cpuThreads: optional("cpu-threads", () => args.integer("cpu-threads", 0, 0, 64)),
    maxShardBytes: optional("max-shard-bytes", () => args.bytes("max-shard-bytes", 0, 4096, 2 ** 50)),
    ticketCacheMs: optional("ticket-cache", () => args.durationMs("ticket-cache", 0, 0, 60_000)),
    orphanGraceMs: optional("orphan-grace", () => args.durationMs("orphan-grace", 0, 0, 30 * 86_400_000)),
  };
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as unknown as WorkerFlagValues;
}
