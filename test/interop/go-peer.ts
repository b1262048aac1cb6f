/**
 * The arrow-go side of the interop tests: test/interop-go is a command-line Flight
 * client built on arrow-go's own `arrow/flight` package. {@link buildGoClient} builds
 * it once with `go build`; {@link GoFlightClient.run} runs one command per process and
 * parses the one JSON line it prints.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../kit/python.js";

/** The Go module of the client (test/interop-go). */
export const GO_CLIENT_DIR = join(REPO_ROOT, "test/interop-go");

/** Where {@link buildGoClient} puts the binary (gitignored). */
export const GO_CLIENT_BINARY = join(GO_CLIENT_DIR, ".bin/go-flight-client");

/** Bytes as the Go client reports them: null when empty, UTF-8 text, or base64. */
export type GoBytes = { readonly utf8: string } | { readonly base64: string } | null;

/** A descriptor as the Go client reports it. */
export type GoDescriptor =
  | { readonly path: readonly string[] }
  | { readonly command: GoBytes }
  | { readonly type: string }
  | null;

/** A schema as arrow-go prints it: field types are arrow-go's `DataType.String()`. */
export interface GoSchema {
  readonly fields: readonly { readonly name: string; readonly type: string; readonly nullable: boolean }[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** One record batch the Go client received, with the app_metadata of its FlightData message. */
export interface GoChunk {
  readonly rows: number;
  readonly appMetadata: GoBytes;
}

/** A FlightInfo as arrow-go decoded it. */
export interface GoFlightInfo {
  readonly descriptor: GoDescriptor;
  readonly totalRecords: number;
  readonly totalBytes: number;
  readonly ordered: boolean;
  readonly appMetadata: GoBytes;
  readonly endpoints: readonly {
    /** The ticket's bytes, base64. */
    readonly ticket: string;
    readonly locations: readonly string[];
    /** Unix milliseconds, or null without an expiration time. */
    readonly expirationMs: number | null;
    readonly appMetadata: GoBytes;
  }[];
  readonly schema: GoSchema | null;
}

/** Flags every command takes. */
export interface GoCommonArgs {
  /** Server URI (`grpc+tcp://127.0.0.1:1234`). */
  readonly location: string;
  /** Basic-token authentication (arrow-go's `AuthenticateBasicToken`) before the calls. */
  readonly user?: string;
  readonly password?: string;
  /** Deadline of the whole command, as a Go duration (`30s`). Default 60s. */
  readonly timeout?: string;
}

/** The client's commands: their own flags and their result (see test/interop-go/README.md). */
export interface GoCommands {
  list: {
    args: { readonly criteria?: string };
    result: {
      readonly flights: readonly {
        readonly descriptor: GoDescriptor;
        readonly totalRecords: number;
        readonly totalBytes: number;
        readonly endpoints: number;
      }[];
      readonly authenticated: boolean;
    };
  };
  info: { args: { readonly path: string }; result: GoFlightInfo };
  schema: { args: { readonly path: string }; result: GoSchema & { readonly text: string } };
  get: {
    /** `ticket` is UTF-8 text, `ticketBase64` raw bytes; `out` the Arrow IPC file to write. */
    args: { readonly ticket?: string; readonly ticketBase64?: string; readonly out: string };
    result: {
      readonly batches: number;
      readonly rows: number;
      readonly chunks: readonly GoChunk[];
      readonly schema: GoSchema;
      readonly out: string;
    };
  };
  put: {
    /** `in`: an Arrow IPC file; batch i is sent with app_metadata `go-put-<i>`. */
    args: { readonly path: string; readonly in: string };
    result: { readonly sent: number; readonly results: readonly GoBytes[] };
  };
  fetch: {
    args: { readonly path: string; readonly out: string };
    result: {
      readonly endpoints: readonly {
        /** The location this endpoint was redeemed at. */
        readonly location: string;
        /** How many locations the endpoint listed. */
        readonly locations: number;
        readonly rows: number;
        readonly batches: number;
        readonly appMetadata: GoBytes;
      }[];
      readonly rows: number;
      readonly batches: number;
      readonly totalRecords: number;
      readonly ordered: boolean;
      readonly out: string;
    };
  };
  action: { args: { readonly type: string; readonly body?: string }; result: { readonly results: readonly GoBytes[] } };
  actions: {
    args: object;
    result: { readonly actions: readonly { readonly type: string; readonly description: string }[] };
  };
}

/** A command name. */
export type GoCommand = keyof GoCommands;

/** How the Go client reported a failure. */
export interface GoError {
  /** The gRPC status code's canonical name (`NOT_FOUND`); INVALID_ARGUMENT for bad usage, UNKNOWN for client-side failures. */
  readonly code: string;
  /** Go's name for the code (`codes.NotFound.String()`: `NotFound`). */
  readonly goCode: string;
  /** `grpc`: a status from the call; `client`: a failure inside the client (Arrow, files); `usage`: bad flags. */
  readonly origin: "grpc" | "client" | "usage";
  readonly message: string;
}

/** The outcome of one command. */
export type GoReply<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: GoError; readonly exitCode: number | null };

/** Per-run options. */
export interface GoRunOptions {
  /** Upper bound for the process, in milliseconds (default 60 000); it is killed after. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The built Go client. */
export interface GoFlightClient {
  /** Path of the binary. */
  readonly binary: string;
  /** `go version` of the toolchain that built it. */
  readonly goVersion: string;
  /**
   * Run one command in a new process and return its parsed reply.
   * @throws Error (with stdout and stderr) if the process dies, times out or prints no JSON line.
   */
  run<K extends GoCommand>(
    command: K,
    args: GoCommonArgs & GoCommands[K]["args"],
    options?: GoRunOptions,
  ): Promise<GoReply<GoCommands[K]["result"]>>;
  /** Like `run`, but throws (with the Go error) unless the command succeeded. */
  ok<K extends GoCommand>(
    command: K,
    args: GoCommonArgs & GoCommands[K]["args"],
    options?: GoRunOptions,
  ): Promise<GoCommands[K]["result"]>;
  /** Like `run`, but throws unless the command failed; returns the Go error. */
  fails<K extends GoCommand>(
    command: K,
    args: GoCommonArgs & GoCommands[K]["args"],
    options?: GoRunOptions,
  ): Promise<GoError>;
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the program could not be started (`ENOENT`: not installed). */
  readonly spawnError: NodeJS.ErrnoException | undefined;
}

function execute(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
        encoding: "utf8",
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { signal?: NodeJS.Signals | null }) | null;
        const spawnError = typeof failure?.code === "string" ? failure : undefined;
        const code = failure === null ? 0 : typeof failure.code === "number" ? failure.code : null;
        resolve({ code, signal: failure?.signal ?? null, stdout, stderr, spawnError });
      },
    );
  });
}

/** `--name value` flags from camelCase keys (`ticketBase64` -> `--ticket-base64`); undefined values are left out. */
function toFlags(args: Readonly<Record<string, string | undefined>>): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    flags.push(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value);
  }
  return flags;
}

/** The Go toolchain: `$FLIGHT_CLUSTER_GO`, else `go` on PATH. */
function goCommand(): string {
  const fromEnv = process.env["FLIGHT_CLUSTER_GO"];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : "go";
}

/**
 * Build test/interop-go into {@link GO_CLIENT_BINARY} with `go build` (modules are
 * verified against the committed go.sum; a machine with an empty module cache
 * downloads them from GOPROXY, hence the generous default `timeoutMs` of 300 000).
 *
 * @throws Error naming the command when `go` is missing, and with its stderr when the build fails.
 */
export async function buildGoClient(
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
): Promise<GoFlightClient> {
  const go = goCommand();
  const args = ["build", "-buildvcs=false", "-o", GO_CLIENT_BINARY, "."];
  const shown = `\`${go} ${args.join(" ")}\` in ${GO_CLIENT_DIR}`;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const built = await execute(go, args, { cwd: GO_CLIENT_DIR, timeoutMs, signal: options.signal });
  if (built.spawnError?.code === "ENOENT") {
    throw new Error(
      `cannot build the arrow-go interop client: \`${go}\` is not installed or not on PATH (needed: ${shown}). ` +
        "Install Go 1.25 or later, or set FLIGHT_CLUSTER_GO to the go binary.",
    );
  }
  if (built.code !== 0) {
    const why = built.signal === "SIGKILL" ? `killed after ${timeoutMs} ms` : `exit ${built.code ?? built.signal}`;
    throw new Error(`${shown} failed (${why})\n--- stderr ---\n${built.stderr.slice(-8000)}`);
  }
  const version = await execute(go, ["version"], { timeoutMs: 30_000 });
  const goVersion = version.stdout.trim();

  const run = async <K extends GoCommand>(
    command: K,
    args: GoCommonArgs & GoCommands[K]["args"],
    runOptions: GoRunOptions = {},
  ): Promise<GoReply<GoCommands[K]["result"]>> => {
    const flags = toFlags(args as unknown as Readonly<Record<string, string | undefined>>);
    const done = await execute(GO_CLIENT_BINARY, [command, ...flags], {
      timeoutMs: runOptions.timeoutMs ?? 60_000,
      signal: runOptions.signal,
    });
    const lines = done.stdout.trim().split("\n");
    const last = lines[lines.length - 1] ?? "";
    let reply: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(last);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        reply = parsed as Record<string, unknown>;
      }
    } catch {
      reply = undefined;
    }
    if (reply === undefined || done.spawnError !== undefined || (done.code !== 0 && !("error" in reply))) {
      throw new Error(
        `go-flight-client ${command} printed no JSON result (exit ${done.code}, signal ${done.signal}` +
          `${done.spawnError === undefined ? "" : `, ${done.spawnError.message}`})\n` +
          `--- stdout ---\n${done.stdout.slice(-4000)}\n--- stderr ---\n${done.stderr.slice(-4000)}`,
      );
    }
    if (done.code === 0) return { ok: true, result: reply as GoCommands[K]["result"] };
    return { ok: false, error: reply["error"] as GoError, exitCode: done.code };
  };

  return {
    binary: GO_CLIENT_BINARY,
    goVersion,
    run,
    async ok(command, args, runOptions) {
      const reply = await run(command, args, runOptions);
      if (!reply.ok) {
        throw new Error(`go-flight-client ${command} failed: ${reply.error.code}: ${reply.error.message}`);
      }
      return reply.result;
    },
    async fails(command, args, runOptions) {
      const reply = await run(command, args, runOptions);
      if (reply.ok) {
        throw new Error(
          `go-flight-client ${command} succeeded but was expected to fail: ${JSON.stringify(reply.result)}`,
        );
      }
      return reply.error;
    },
  };
}

/** The text of bytes the Go client reported; throws if they were not UTF-8. */
export function goText(bytes: GoBytes): string | null {
  if (bytes === null) return null;
  if ("utf8" in bytes) return bytes.utf8;
  throw new Error(`expected UTF-8 bytes, got base64 ${bytes.base64}`);
}
