/**
 * Parsers for flag and argument values. Each returns the parsed value or throws a
 * usage error (exit code 2) naming the flag and what was wrong with it.
 */
import { usageError } from "./cli-error.js";

/** Where a value came from, for messages: `--port`, `<planner-uri>`. */
export interface ValueSource {
  /** The command, for the `--help` hint. */
  readonly command: string;
  /** The flag or argument name as the user typed it. */
  readonly name: string;
}

function fail(source: ValueSource, value: string, expected: string): never {
  throw usageError(`${source.name} ${JSON.stringify(value)} is not ${expected}`, source.command);
}

/** An integer in `[min, max]`, written in decimal. */
export function parseInteger(value: string, source: ValueSource, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim())) fail(source, value, `an integer`);
  const parsed = Number(value.trim());
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    fail(source, value, `an integer from ${min} to ${max}`);
  }
  return parsed;
}

/** A TCP port, 0..65535 (0: let the system choose). */
export function parsePort(value: string, source: ValueSource): number {
  return parseInteger(value, source, 0, 65_535);
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/**
 * A size in bytes: `67108864`, `64MiB`, `64M` (binary), `64MB` (decimal), `1.5GiB`.
 * The result is rounded down to a whole byte and must lie in `[min, max]`.
 */
export function parseByteSize(value: string, source: ValueSource, min: number, max: number): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match ? BYTE_UNITS[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || unit === undefined) fail(source, value, "a size such as 4194304, 4MiB or 64M");
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) {
    fail(source, value, `a size from ${formatBytes(min)} to ${formatBytes(max)}`);
  }
  return bytes;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, "": 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration, returned in milliseconds: a bare number is seconds (`15`), or a number
 * with a unit `ms`, `s`, `m`, `h` (`500ms`, `3s`, `10m`, `1.5h`). Must lie in `[minMs, maxMs]`.
 */
export function parseDurationMs(value: string, source: ValueSource, minMs: number, maxMs: number): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  const unit = match ? DURATION_UNITS[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || unit === undefined) fail(source, value, "a duration such as 15 (seconds), 3s, 500ms or 10m");
  const ms = Math.round(Number(match[1]) * unit);
  if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
    fail(source, value, `a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`);
  }
  return ms;
}

/** A comma-separated list of non-empty, trimmed items (`a,b,c`); duplicates are an error. */
export function parseList(value: string, source: ValueSource): string[] {
  const items = value.split(",").map((item) => item.trim());
  if (items.some((item) => item.length === 0)) fail(source, value, "a comma-separated list of non-empty names");
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) throw usageError(`${source.name} lists ${JSON.stringify(item)} twice`, source.command);
    seen.add(item);
  }
  return items;
}

const FLIGHT_SCHEMES = new Set(["grpc:", "grpc+tcp:", "grpc+tls:", "grpc+unix:"]);

/**
 * A Flight URI: `grpc://host:port`, `grpc+tcp://host:port`, `grpc+tls://host:port` or
 * `grpc+unix:///path`. A bare `host:port` is taken as `grpc+tcp://host:port`.
 * Returns the normalized URI string.
 */
export function parseFlightUri(value: string, source: ValueSource): string {
  const text = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `grpc+tcp://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return fail(source, value, "a Flight URI such as grpc+tcp://localhost:8815");
  }
  if (!FLIGHT_SCHEMES.has(url.protocol)) {
    fail(source, value, "a Flight URI (schemes grpc://, grpc+tcp://, grpc+tls://, grpc+unix://)");
  }
  if (url.protocol === "grpc+unix:") {
    if (url.pathname.length <= 1) fail(source, value, "a grpc+unix:///path URI");
    return withScheme;
  }
  if (url.hostname.length === 0 || url.port.length === 0) {
    fail(source, value, "a Flight URI with a host and a port, such as grpc+tcp://localhost:8815");
  }
  return withScheme;
}

/** `1536` -> `1.5 KiB`; binary units, at most one decimal. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${text} ${units[unit]}`;
}

/** `1500` -> `1.5s`; `90000` -> `1m30s`; `250` -> `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours}h` : `${hours}h${rest}m`;
}
