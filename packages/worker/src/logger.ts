/**
 * Structured logging: one JSON object per line, one line per event.
 *
 * Domain code depends on the small {@link Logger} interface; the default writes JSON
 * lines to stderr (`{"time":"…","level":"info","event":"shard.stored","component":"worker",…}`).
 */

/** Severity of a log event, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra fields of one event (JSON-serializable values; Errors are reduced to name/message/code). */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. `event` is a stable dotted name such as `shard.stored`. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger adding `fields` to every event. */
  child(fields: LogFields): Logger;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Lowest level written; default `info`. */
  readonly level?: LogLevel;
  /** Where lines go; default `process.stderr`. */
  readonly write?: (line: string) => void;
  /** Fields added to every event. */
  readonly base?: LogFields;
}

function plain(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger writing one JSON line per event (to stderr unless `write` is given). */
export function createJsonLogger(options: JsonLoggerOptions = {}): Logger {
  const min = rank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, event: string, fields?: LogFields): void => {
      if (rank[level] < min) return;
      const record: Record<string, unknown> = { time: new Date().toISOString(), level, event, ...base };
      if (fields) for (const [k, v] of Object.entries(fields)) record[k] = plain(v);
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        line = JSON.stringify({ time: record["time"], level, event, note: "fields not serializable" });
      }
      write(`${line}\n`);
    };
    return {
      debug: (e, f) => emit("debug", e, f),
      info: (e, f) => emit("info", e, f),
      warn: (e, f) => emit("warn", e, f),
      error: (e, f) => emit("error", e, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.base ?? {});
}

/** A logger that drops everything. */
export const noopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => noopLogger,
};
