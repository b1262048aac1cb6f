/**
 * The pyarrow side of the interop tests, as real child processes:
 * - {@link startPyarrowServer}: pyarrow_server.py, a pyarrow.flight server our client talks to;
 * - {@link startPyarrowClient}: pyarrow_client.py, a pyarrow.flight client our server is driven by.
 */
import { fileURLToPath } from "node:url";
import { type ChildHandle, startProcess } from "../kit/process.js";
import { requirePyarrow } from "../kit/python.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** Facts pyarrow reports about one fixture table it wrote (see fixtures.py `write_expected`). */
export interface FixtureSummary {
  readonly path: string;
  readonly rows: number;
  readonly batchRows: readonly number[];
  readonly columns: readonly string[];
  readonly nullCounts: readonly number[];
}

/** Fixture names (fixtures.py). */
export const Fixture = {
  AllTypes: "all-types",
  ZeroRows: "zero-rows",
  Small: "small",
  Large: "large",
  Views: "views",
  DictDeltas: "dict-deltas",
} as const;
/** A fixture name. */
export type Fixture = (typeof Fixture)[keyof typeof Fixture];

/** Credentials the pyarrow server accepts: alice may write, bob may only read. */
export const PYARROW_USERS = {
  writer: { user: "alice", password: "wonderland" },
  reader: { user: "bob", password: "builder" },
} as const;

/**
 * Run fixtures.py: write every fixture as `<name>.arrow` into `dir`.
 *
 * @returns pyarrow's summary of what it wrote.
 * @throws Error if pyarrow is missing or the script fails.
 */
export async function writeFixtures(dir: string): Promise<Readonly<Record<Fixture, FixtureSummary>>> {
  const { python } = await requirePyarrow();
  const child = await startProcess({
    name: "fixtures.py",
    command: python,
    args: [`${HERE}fixtures.py`, "--out", dir],
    cwd: HERE,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    isReady: (line) => isEvent(line, "fixtures"),
    readyTimeoutMs: 120_000,
  });
  const exit = await child.exited;
  if (exit.code !== 0) throw new Error(`fixtures.py failed\n${child.diagnostics()}`);
  return parseJsonLine(child.readyLine, "fixtures.py")["tables"] as Record<Fixture, FixtureSummary>;
}

/** A running pyarrow reference server. */
export interface PyarrowServer {
  readonly port: number;
  /** `grpc+tcp://127.0.0.1:<port>`. */
  readonly location: string;
  readonly fixtures: Readonly<Record<Fixture, FixtureSummary>>;
  readonly process: ChildHandle;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

function parseJsonLine(line: string, who: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${who} printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${who} printed JSON that is not an object: ${line.slice(0, 200)}`);
  }
  return value as Record<string, unknown>;
}

function isEvent(line: string, event: string): boolean {
  return line.startsWith("{") && line.includes(`"event"`) && line.includes(`"${event}"`);
}

/**
 * Start pyarrow_server.py on a free port; it writes the fixture IPC files into
 * `fixturesDir` first. With `tls` it serves grpc+tls (mTLS when `clientCa` is set).
 *
 * @throws Error if pyarrow is missing or the server does not report `listening` in time.
 */
export async function startPyarrowServer(
  fixturesDir: string,
  tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string },
): Promise<PyarrowServer> {
  const { python } = await requirePyarrow();
  const child = await startProcess({
    name: "pyarrow server",
    command: python,
    args: [
      `${HERE}pyarrow_server.py`,
      "--port",
      "0",
      "--fixtures-dir",
      fixturesDir,
      ...(tls === undefined ? [] : ["--tls-cert", tls.cert, "--tls-key", tls.key]),
      ...(tls?.clientCa === undefined ? [] : ["--client-ca", tls.clientCa]),
    ],
    cwd: HERE,
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
    isReady: (line) => isEvent(line, "listening"),
    readyTimeoutMs: 60_000,
  });
  const ready = parseJsonLine(child.readyLine, "pyarrow server");
  return {
    port: ready["port"] as number,
    location: ready["location"] as string,
    fixtures: ready["fixtures"] as Record<Fixture, FixtureSummary>,
    process: child,
    stop: async () => {
      await child.stop();
    },
  };
}

/** How pyarrow described an exception. */
export interface PyError {
  /** The class name (`FlightUnauthenticatedError`, `ArrowKeyError`, ...). */
  readonly type: string;
  readonly module: string;
  /** `module.Class` for the whole MRO, most specific first. */
  readonly bases: readonly string[];
  readonly message: string;
}

/** One reply of the pyarrow client driver. */
export type DriverReply<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: PyError };

/** Bytes as the driver reports them. */
export type PyBytes = { readonly utf8: string } | { readonly base64: string } | null;

/** A descriptor as the driver takes it. */
export type PyDescriptor = { readonly path: readonly string[] } | { readonly command: string };

/** pyarrow's view of a table it received, compared with a fixture (fixtures.py `compare_tables`). */
export interface PyCompare {
  readonly equals: boolean;
  readonly schemaEquals: boolean;
  readonly exactEquals: boolean;
  readonly rows: number;
  readonly expectedRows: number;
  readonly firstDifferentColumn: string | null;
  readonly schema: string | null;
}

/** pyarrow's reader statistics for a stream it read. */
export interface PyReadStats {
  readonly dictionaryBatches: number;
  readonly dictionaryDeltas: number;
  readonly replacedDictionaries: number;
}

/** One chunk pyarrow read from a stream. */
export interface PyChunk {
  readonly rows: number | null;
  readonly appMetadata: PyBytes;
}

/** A FlightInfo as pyarrow decoded it. */
export interface PyFlightInfo {
  readonly descriptor: { readonly path?: readonly string[]; readonly command?: PyBytes };
  readonly totalRecords: number;
  readonly totalBytes: number;
  readonly ordered: boolean;
  readonly appMetadata: PyBytes;
  readonly endpoints: readonly {
    readonly ticket: PyBytes;
    readonly locations: readonly string[];
    readonly expirationMs: number | null;
    readonly appMetadata: PyBytes;
  }[];
  readonly schema: PySchemaFacts;
}

/** A schema as pyarrow decoded it. */
export interface PySchemaFacts {
  readonly names: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly schemaEquals?: boolean;
}

/** Result types of the driver's operations (pyarrow_client.py). */
export interface DriverOps {
  connect: {
    /** TLS: paths of PEM files (trusted roots; client certificate and key for mTLS). */
    args: { location: string; tls_root_certs?: string; cert_chain?: string; private_key?: string; client?: string };
    result: Record<string, never>;
  };
  close: { args: { client?: string }; result: { closed: boolean } };
  authenticate: { args: { user: string; password: string; client?: string }; result: { header: [string, string] } };
  set_header: { args: { name: string; value: string; client?: string }; result: Record<string, never> };
  list_flights: { args: { criteria?: string; client?: string }; result: { flights: PyFlightInfo[] } };
  get_flight_info: { args: { descriptor: PyDescriptor; expected?: Fixture; client?: string }; result: PyFlightInfo };
  get_schema: { args: { descriptor: PyDescriptor; expected?: Fixture; client?: string }; result: PySchemaFacts };
  do_get: {
    args: {
      ticket: string;
      expected?: Fixture;
      /** Read this many chunks, then cancel the stream (pyarrow's `reader.cancel()`). */
      cancel_after?: number;
      client?: string;
    };
    result: { chunks: PyChunk[]; rows: number; stats?: PyReadStats; compare?: PyCompare; cancelled?: boolean };
  };
  do_put: {
    args: {
      descriptor: PyDescriptor;
      fixture: Fixture;
      metadata_only_message?: boolean;
      /** IPC body compression pyarrow applies: "zstd" or "lz4". */
      compression?: string;
      /** Send dictionaries that extend the previous ones as deltas. */
      dictionary_deltas?: boolean;
      client?: string;
    };
    result: { sent: number; acks: unknown[] };
  };
  do_exchange: {
    args: { command: string; fixture: Fixture; client?: string };
    result: { chunks: PyChunk[]; compare: PyCompare };
  };
  do_action: {
    /** `timeout`: this call's deadline in seconds. */
    args: { type: string; body?: string; timeout?: number; client?: string };
    result: { bodies: PyBytes[] };
  };
  list_actions: { args: { client?: string }; result: { actions: { type: string; description: string }[] } };
}

/** A running pyarrow client driver. */
export interface PyarrowClient {
  readonly pyarrowVersion: string;
  /**
   * Run one operation and return pyarrow's reply. Calls are serialized.
   * @throws Error when the driver dies, answers out of order or exceeds `timeoutMs` (default 60 s).
   */
  call<K extends keyof DriverOps>(
    op: K,
    args: DriverOps[K]["args"],
    timeoutMs?: number,
  ): Promise<DriverReply<DriverOps[K]["result"]>>;
  /** Like `call`, but throws (with pyarrow's error) unless the operation succeeded. */
  ok<K extends keyof DriverOps>(op: K, args: DriverOps[K]["args"], timeoutMs?: number): Promise<DriverOps[K]["result"]>;
  /** Like `call`, but throws unless the operation failed; returns pyarrow's error. */
  fails<K extends keyof DriverOps>(op: K, args: DriverOps[K]["args"], timeoutMs?: number): Promise<PyError>;
  readonly process: ChildHandle;
  /** Closes the driver's stdin and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Start pyarrow_client.py and wait for its ready line.
 *
 * @throws Error if pyarrow is missing or the driver does not start in time.
 */
export async function startPyarrowClient(): Promise<PyarrowClient> {
  const { python } = await requirePyarrow();
  const child = await startProcess({
    name: "pyarrow client",
    command: python,
    args: [`${HERE}pyarrow_client.py`],
    cwd: HERE,
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
    isReady: (line) => isEvent(line, "ready"),
    readyTimeoutMs: 60_000,
  });
  const ready = parseJsonLine(child.readyLine, "pyarrow client");
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();

  const send = async <K extends keyof DriverOps>(
    op: K,
    args: DriverOps[K]["args"],
    timeoutMs: number,
  ): Promise<DriverReply<DriverOps[K]["result"]>> => {
    const id = nextId++;
    await child.writeLine(JSON.stringify({ id, op, args }));
    const reply = parseJsonLine(await child.nextLine({ timeoutMs }), "pyarrow client");
    if (reply["id"] !== id) {
      throw new Error(`pyarrow client answered request ${String(reply["id"])} while ${id} (${op}) was expected`);
    }
    return reply["ok"] === true
      ? { ok: true, result: reply["result"] as DriverOps[K]["result"] }
      : { ok: false, error: reply["error"] as PyError };
  };

  const call = <K extends keyof DriverOps>(
    op: K,
    args: DriverOps[K]["args"],
    timeoutMs = 60_000,
  ): Promise<DriverReply<DriverOps[K]["result"]>> => {
    const run = queue.then(() => send(op, args, timeoutMs));
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    pyarrowVersion: String(ready["pyarrow"]),
    call,
    async ok(op, args, timeoutMs) {
      const reply = await call(op, args, timeoutMs);
      if (!reply.ok) {
        throw new Error(`pyarrow ${op} failed: ${reply.error.type}: ${reply.error.message}`);
      }
      return reply.result;
    },
    async fails(op, args, timeoutMs) {
      const reply = await call(op, args, timeoutMs);
      if (reply.ok)
        throw new Error(`pyarrow ${op} succeeded but was expected to fail: ${JSON.stringify(reply.result)}`);
      return reply.error;
    },
    process: child,
    stop: async () => {
      await child.stop();
    },
  };
}

/** The text of bytes the driver reported, or throws if they were not UTF-8. */
export function pyText(bytes: PyBytes): string | null {
  if (bytes === null) return null;
  if ("utf8" in bytes) return bytes.utf8;
  throw new Error(`expected UTF-8 bytes, got base64 ${bytes.base64}`);
}
