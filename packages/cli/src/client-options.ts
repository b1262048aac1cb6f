/** Flags shared by the client commands (put, get, ls, rm, status). */
import type { OptionSpec, ParsedArgs } from "./command.js";

/** `--zone`, `--timeout`. */
export const CLIENT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  zone: {
    type: "string",
    value: "ZONE",
    description: "your zone, sent as x-flight-zone so the nearest replicas come first",
  },
  timeout: {
    type: "string",
    value: "DURATION",
    description: "deadline of each request to the planner (15, 30s, 2m); data streams have none",
    defaultText: "30s",
  },
};

/** `--json`. */
export const JSON_OPTION: Readonly<Record<string, OptionSpec>> = {
  json: { type: "boolean", description: "print machine-readable JSON instead of tables" },
};

/** The parsed client flags. */
export interface ClientFlags {
  readonly zone: string | undefined;
  readonly timeoutMs: number;
  /** Receive threads of the client (`--receive-threads` where the command has it). */
  readonly receiveThreads?: number;
}

/** Read `--zone` and `--timeout`. @throws CliError CLI_USAGE for bad values. */
export function clientFlags(args: ParsedArgs): ClientFlags {
  return { zone: args.string("zone"), timeoutMs: args.durationMs("timeout", 30_000, 100, 3_600_000) };
}

/** `--concurrency`: endpoints (get, bench) or shards (put) moved at once. */
export const CONCURRENCY_OPTION: Readonly<Record<string, OptionSpec>> = {
  concurrency: {
    type: "string",
    value: "N",
    description: "endpoints read (or shards uploaded) at once",
    defaultText: "4",
  },
};

/** Read `--concurrency` (1..256, default 4). @throws CliError CLI_USAGE for a bad value. */
export function concurrencyFlag(args: ParsedArgs): number {
  return args.integer("concurrency", 4, 1, 256);
}

/** `--receive-threads`: read DoGet streams in worker threads (get, bench). */
export const RECEIVE_THREADS_OPTION: Readonly<Record<string, OptionSpec>> = {
  "receive-threads": {
    type: "string",
    value: "N",
    description: "read the streams in N worker threads, decoding on the main thread (docs/client.md)",
    defaultText: "0: the main thread",
  },
};

/** Read `--receive-threads` (0..64, default 0). @throws CliError CLI_USAGE for a bad value. */
export function receiveThreadsFlag(args: ParsedArgs): number {
  return args.integer("receive-threads", 0, 0, 64);
}
