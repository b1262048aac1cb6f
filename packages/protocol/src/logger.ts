/**
 * The logging seam of servers: where internal error causes go (never to clients).
 */

/** Structured logger; every method is optional to implement beyond `error`. */
export interface FlightLogger {
  /** Something failed that the caller only sees as a generic INTERNAL error. */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something odd that did not fail the call. */
  warn?(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Lifecycle events (listening, draining). */
  info?(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** Writes errors and warnings to stderr as one JSON line each; ignores info. */
export const consoleLogger: FlightLogger = {
  error(message, fields) {
    process.stderr.write(`${JSON.stringify({ level: "error", message, ...serializeFields(fields) })}\n`);
  },
  warn(message, fields) {
    process.stderr.write(`${JSON.stringify({ level: "warn", message, ...serializeFields(fields) })}\n`);
  },
};

/** Drops everything. */
export const silentLogger: FlightLogger = { error() {} };

function serializeFields(fields: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields === undefined) return out;
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
