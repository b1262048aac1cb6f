/**
 * Progress of long transfers on stderr: a redrawn bar when stderr is a terminal,
 * otherwise a plain line every few seconds (so logs of CI jobs stay readable).
 */
import { formatBytes, formatDuration } from "./option-values.js";

/** Receives progress and renders it. */
export interface ProgressReporter {
  /** Report the running totals (not increments). Cheap: renders at most every `intervalMs`. */
  update(rows: number, bytes: number): void;
  /** Stop rendering (clears the bar on a terminal). Idempotent. */
  finish(): void;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** What is moving, e.g. `put demo/sales`. */
  readonly label: string;
  /** Expected rows, when known: the bar shows a percentage. */
  readonly totalRows?: number | undefined;
  /** Expected bytes, when known (used for the percentage when rows are unknown). */
  readonly totalBytes?: number | undefined;
  /** Minimum time between renders in ms (default 100 on a terminal, 2000 otherwise). */
  readonly intervalMs?: number;
  /** Clock in ms (default `performance.now`). */
  readonly now?: () => number;
}

/** The stream progress goes to. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const BAR_WIDTH = 24;

/** Render one progress line (without a line ending). Exported for tests. */
export function formatProgressLine(
  label: string,
  rows: number,
  bytes: number,
  elapsedMs: number,
  fraction: number | undefined,
  bar: boolean,
): string {
  const rate = elapsedMs > 0 ? (bytes / elapsedMs) * 1000 : 0;
  const parts = [label];
  if (fraction !== undefined) {
    const clamped = Math.max(0, Math.min(1, fraction));
    const percent = `${(clamped * 100).toFixed(0).padStart(3)}%`;
    if (bar) {
      const filled = Math.round(clamped * BAR_WIDTH);
      parts.push(`[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${percent}`);
    } else {
      parts.push(percent.trim());
    }
  }
  parts.push(`${rows.toLocaleString("en-US")} rows`, formatBytes(bytes), `${formatBytes(Math.round(rate))}/s`);
  parts.push(formatDuration(elapsedMs));
  return parts.join("  ");
}

/** A reporter writing to `stream` (normally stderr). */
export function createProgressReporter(stream: ProgressStream, options: ProgressOptions): ProgressReporter {
  const tty = stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? (tty ? 100 : 2000);
  const started = now();
  let lastRender = started;
  let finished = false;
  let drawn = false;
  const fractionOf = (rows: number, bytes: number): number | undefined => {
    if (options.totalRows !== undefined && options.totalRows > 0) return rows / options.totalRows;
    if (options.totalBytes !== undefined && options.totalBytes > 0) return bytes / options.totalBytes;
    return undefined;
  };
  return {
    update(rows, bytes) {
      if (finished) return;
      const t = now();
      if (t - lastRender < interval) return;
      lastRender = t;
      const line = formatProgressLine(options.label, rows, bytes, t - started, fractionOf(rows, bytes), tty);
      if (tty) {
        const width = Math.max(20, (stream.columns ?? 100) - 1);
        stream.write(`\r${line.slice(0, width).padEnd(width)}`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      if (tty && drawn) stream.write(`\r${" ".repeat(Math.max(20, (stream.columns ?? 100) - 1))}\r`);
    },
  };
}
