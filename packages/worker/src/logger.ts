/**
 * Structured logging: one JSON object per line, one line per event.
 *
 * Domain code depends on the small {@link WorkerLogger} interface (the same shape as
 * the planner's logger, so one process running both can share a sink); the default
 * writes JSON lines to stderr:
 * `{"time":"…","level":"info","component":"worker","event":"shard.stored",…}`.
 */

/** Severity of a log event, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Extra fields of one event (JSON-serializable values; Errors are reduced to name/message/code). */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. `event` is a stable dotted name such as `shard.stored`. Must not throw. */
export interface WorkerLogger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link createWorkerJsonLogger}. */
export interface WorkerJsonLoggerOptions {
  /** Lowest level written; default `info`. */
  readonly level?: LogLevel;
  /** Where lines go; default `process.stderr`. */
  readonly write?: (line: string) => void;
  /** Fields added to every event; `component` defaults to `worker`. */
  readonly base?: LogFields;
}

function plain(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger writing one JSON line per event (to stderr unless `write` is given). */
export function createWorkerJsonLogger(options: WorkerJsonLoggerOptions = {}): WorkerLogger {
  const min = rank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const base: LogFields = { component: "worker", ...options.base };
  return {
    log(level, event, fields) {
      if (rank[level] < min) return;
      let line: string;
      try {
        line = JSON.stringify({ time: new Date().toISOString(), level, ...base, event, ...fields }, plain);
      } catch {
        line = JSON.stringify({ time: new Date().toISOString(), level, ...base, event, note: "unserializable fields" });
      }
      write(`${line}\n`);
    },
  };
}

/** A logger that drops everything. */
export const silentWorkerLogger: WorkerLogger = Object.freeze({ log() {} });

/** A logger adding `fields` to every event of `logger`. */
export function withFields(logger: WorkerLogger, fields: LogFields): WorkerLogger {
  return { log: (level, event, extra) => logger.log(level, event, { ...fields, ...extra }) };
}
