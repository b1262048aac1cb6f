/**
 * Structured logging for the planner: one JSON object per line, one line per event,
 * to stderr by default (`{"time":"…","level":"info","component":"planner","event":"upload_committed",…}`).
 */

/** Severity of a log event. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Fields of a log event; values must be JSON-serializable (errors are reduced to name/message/code). */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where the planner reports events. */
export interface PlannerLogger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

/** A logger that drops everything (for tests and embedding). */
export const silentPlannerLogger: PlannerLogger = Object.freeze({ log() {} });

const levelRank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Lowest level written (default `info`). */
  readonly level?: LogLevel;
  /** Where lines go (default `process.stderr`). Writes are fire-and-forget. */
  readonly write?: (line: string) => void;
  /** Added to every line as `component` (default `planner`). */
  readonly component?: string;
}

function jsonSafe(value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A logger writing JSON lines. Never throws (unserializable fields are replaced by a note). */
export function createJsonLogger(options: JsonLoggerOptions = {}): PlannerLogger {
  const min = levelRank[options.level ?? "info"];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const component = options.component ?? "planner";
  return {
    log(level, event, fields = {}) {
      if (levelRank[level] < min) return;
      let line: string;
      try {
        line = JSON.stringify({ time: new Date().toISOString(), level, component, event, ...fields }, (_key, value) =>
          jsonSafe(value),
        );
      } catch {
        line = JSON.stringify({
          time: new Date().toISOString(),
          level,
          component,
          event,
          note: "unserializable fields",
        });
      }
      write(`${line}\n`);
    },
  };
}
