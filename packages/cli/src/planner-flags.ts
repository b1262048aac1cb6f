/** Planner flags shared by `planner` and `up`, and their translation to planner options. */
import type { OptionSpec, ParsedArgs } from "./command.js";

/** Flags of the planner's behaviour (not its address). */
export const PLANNER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  replicas: {
    type: "string",
    value: "N",
    description: "copies of every shard, in distinct zones when possible",
    defaultText: "2",
  },
  "shard-target-bytes": {
    type: "string",
    value: "SIZE",
    description: "target shard size in Arrow bytes (67108864, 64MiB, 4M)",
    defaultText: "64MiB",
  },
  "ticket-ttl": {
    type: "string",
    value: "DURATION",
    description: "lifetime of issued tickets, mirrored in expiration_time (bare numbers are seconds)",
    defaultText: "10m",
  },
  "upload-ttl": {
    type: "string",
    value: "DURATION",
    description: "an upload making no progress for this long is abandoned and cleaned up",
    defaultText: "10m",
  },
  "repair-interval": {
    type: "string",
    value: "DURATION",
    description: "pause between repair passes",
    defaultText: "5s",
  },
  "max-descriptor-bytes": {
    type: "string",
    value: "SIZE",
    description: "largest FlightDescriptor accepted (larger: RESOURCE_EXHAUSTED)",
    defaultText: "64KiB",
  },
  "max-message-bytes": {
    type: "string",
    value: "SIZE",
    description: "largest FlightData message sent to workers (batches are sliced)",
    defaultText: "2MiB",
  },
  "worker-action-timeout": {
    type: "string",
    value: "DURATION",
    description: "deadline of the planner's calls to worker actions (copies can be large)",
    defaultText: "2m",
  },
};

/** The planner options the flags set. */
export interface PlannerFlagValues {
  readonly replicas: number;
  readonly shardTargetBytes: number;
  readonly ticketTtlMs: number;
  readonly uploadTtlMs: number;
  readonly repairIntervalMs: number;
  readonly maxDescriptorBytes: number;
  readonly maxMessageBytes: number;
  readonly workerActionTimeoutMs: number;
}

/** Read the planner flags. @throws CliError CLI_USAGE for bad values. */
export function plannerFlags(args: ParsedArgs, defaults: { readonly shardTargetBytes: number }): PlannerFlagValues {
  return {
    replicas: args.integer("replicas", 2, 1, 16),
    shardTargetBytes: args.bytes("shard-target-bytes", defaults.shardTargetBytes, 1024, 2 ** 40),
    ticketTtlMs: args.durationMs("ticket-ttl", 600_000, 100, 604_800_000),
    uploadTtlMs: args.durationMs("upload-ttl", 600_000, 300, 604_800_000),
    repairIntervalMs: args.durationMs("repair-interval", 5_000, 50, 86_400_000),
    maxDescriptorBytes: args.bytes("max-descriptor-bytes", 64 * 1024, 256, 16 * 1024 * 1024),
    maxMessageBytes: args.bytes("max-message-bytes", 2 * 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
    workerActionTimeoutMs: args.durationMs("worker-action-timeout", 120_000, 100, 86_400_000),
  };
}
