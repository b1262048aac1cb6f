/**
 * The JSON lines the DoPut benchmark's child processes print on stdout (one object per line,
 * anything else is ignored), shared by the Node children and the pyarrow scripts in py/.
 *
 * Server: `{"event":"ready","port":N}` once listening; `{"event":"exit"}` after stdin closed.
 * Client: `{"event":"result", ...PutClientResult}` once all its passes are done.
 * Each DoPut is answered with one PutResult whose app_metadata is a {@link PutAck} (JSON).
 */

/** What a benchmark server answers to one DoPut (the PutResult's app_metadata, JSON). */
export interface PutAck {
  /** Arrow IPC body bytes received (sum of the FlightData bodies). */
  readonly bodyBytes: number;
  /** FlightData messages received that carried an IPC message (schema, batches). */
  readonly messages: number;
  /** Wall time of the call inside the handler, seconds. */
  readonly seconds: number;
  /** CPU time of the whole server process during the call (all threads), seconds. */
  readonly cpuSeconds: number;
}

/** One timed (or warm-up) upload of the whole table, as the client saw it. */
export interface PutPass {
  /** From opening the DoPut to receiving the server's PutResult, seconds. */
  readonly seconds: number;
  /** CPU time of the client process over the pass (all threads), seconds. */
  readonly cpuSeconds: number;
  /** The server's own account of the call. */
  readonly server: PutAck;
}

/** The result event of a client process. */
export interface PutClientResult {
  readonly event: "result";
  /** Rows and Arrow body bytes of the uploaded table. */
  readonly rows: number;
  readonly bodyBytes: number;
  /** Record batches written per pass. */
  readonly batches: number;
  readonly warmup: readonly PutPass[];
  readonly passes: readonly PutPass[];
}

/** A server's ready event. */
export interface PutReadyEvent {
  readonly event: "ready";
  readonly port: number;
}

/** Any event line. */
export type PutEvent = PutReadyEvent | PutClientResult | { readonly event: "exit" };

/** Prints one event line on stdout. */
export function emit(event: PutEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** CPU seconds of this process since `since` (from `process.cpuUsage()`). */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/**
 * Parses a PutResult's app_metadata as a {@link PutAck}.
 * @throws Error when it is not the JSON the benchmark servers send.
 */
export function parseAck(bytes: Uint8Array): PutAck {
  const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
  const o = value as Partial<Record<keyof PutAck, unknown>>;
  for (const key of ["bodyBytes", "messages", "seconds", "cpuSeconds"] as const) {
    if (typeof o[key] !== "number") throw new Error(`bad PutResult from the server: ${JSON.stringify(value)}`);
  }
  return value as PutAck;
}
