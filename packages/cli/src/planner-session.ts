/**
 * A client command's connection to a planner (and to the workers its endpoints name):
 * call options with the caller's zone header and deadline, JSON actions, and the
 * mapping of "cannot connect" failures to one clear line.
 */
import { type CallOptions, connect, type FlightClient, FlightError, StatusCode } from "@flight-cluster/protocol";
import { CliError } from "./cli-error.js";

/** Header naming the caller's zone (docs/architecture.md, "Headers"). */
export const ZONE_HEADER = "x-flight-zone";

/** Options of {@link openPlannerSession}. */
export interface PlannerSessionOptions {
  /** The caller's zone: same-zone replicas are listed first. */
  readonly zone?: string | undefined;
  /** Deadline of each unary call and action, in ms (streams have none). */
  readonly timeoutMs: number;
  /** Aborts every call. */
  readonly signal: AbortSignal;
}

/** A planner connection plus lazily opened worker connections. */
export interface PlannerSession {
  readonly uri: string;
  readonly planner: FlightClient;
  /** Options for a unary call or action (zone header, deadline, signal). */
  unaryOptions(): CallOptions;
  /** Options for a streaming call (zone header, signal, no deadline). */
  streamOptions(extraHeaders?: Readonly<Record<string, string>>): CallOptions;
  /** The client for a location (the planner's own client for the reuse-connection location). */
  clientFor(location: string | undefined): FlightClient;
  /**
   * Run a planner action whose single result is JSON, and parse it.
   * @throws FlightError from the planner; CliError CLI_BAD_RESPONSE when the result is not JSON.
   */
  jsonAction(type: string, body?: string | Uint8Array): Promise<unknown>;
  /** Close every connection. */
  close(): void;
}

const REUSE = "arrow-flight-reuse-connection://?";

/** Open a session (connections are lazy: nothing is dialled until the first call). */
export function openPlannerSession(uri: string, options: PlannerSessionOptions): PlannerSession {
  const planner = connect(uri);
  const workers = new Map<string, FlightClient>();
  const headers = options.zone === undefined ? {} : { [ZONE_HEADER]: options.zone };
  const session: PlannerSession = {
    uri,
    planner,
    unaryOptions: () => ({ headers, timeoutMs: options.timeoutMs, signal: options.signal }),
    streamOptions: (extra = {}) => ({ headers: { ...headers, ...extra }, signal: options.signal }),
    clientFor(location) {
      if (location === undefined || location === REUSE || location === uri) return planner;
      let client = workers.get(location);
      if (client === undefined) {
        client = connect(location);
        workers.set(location, client);
      }
      return client;
    },
    async jsonAction(type, body = new Uint8Array(0)) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      let first: Uint8Array | undefined;
      for await (const result of planner.doAction({ type, body: bytes }, session.unaryOptions())) {
        first ??= result.body;
      }
      if (first === undefined)
        throw new CliError("CLI_BAD_RESPONSE", `the planner's ${type} action returned no result`);
      const text = new TextDecoder().decode(first);
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new CliError("CLI_BAD_RESPONSE", `the planner's ${type} action returned non-JSON: ${text.slice(0, 80)}`, {
          cause: error,
        });
      }
    },
    close() {
      planner.close();
      for (const client of workers.values()) client.close();
      workers.clear();
    },
  };
  return session;
}

/**
 * Run `fn` with a session and close it afterwards; an UNAVAILABLE failure becomes
 * `cannot reach <uri>: …` (exit 1) so the user sees which address failed.
 */
export async function withPlannerSession<T>(
  uri: string,
  options: PlannerSessionOptions,
  fn: (session: PlannerSession) => Promise<T>,
): Promise<T> {
  const session = openPlannerSession(uri, options);
  try {
    return await fn(session);
  } catch (error) {
    throw unreachableError(uri, error);
  } finally {
    session.close();
  }
}

/**
 * `error` itself, or, when it is an UNAVAILABLE failure to connect, a CliError
 * CLI_UNREACHABLE `cannot reach <uri>: …` (exit 1) naming the address that failed.
 */
export function unreachableError(uri: string, error: unknown): unknown {
  if (error instanceof FlightError && error.code === StatusCode.UNAVAILABLE && isConnectFailure(error)) {
    return new CliError("CLI_UNREACHABLE", `cannot reach ${uri}: ${connectReason(error.rawMessage)}`, {
      cause: error,
    });
  }
  return error;
}

function isConnectFailure(error: FlightError): boolean {
  return /connect|connection|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|resolve|resolution|No connection/i.test(
    error.rawMessage,
  );
}

/** The socket-level reason inside grpc-js's "No connection established…" message, or the message. */
function connectReason(message: string): string {
  const socket = /((?:connect|getaddrinfo|read|write) E[A-Z]+.*?)(?:\. |\.?$)/m.exec(message)?.[1];
  return socket?.trim() ?? message.trim();
}
