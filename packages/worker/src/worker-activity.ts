/**
 * What the worker is doing right now: active streams and bytes moved, turned into
 * the `load` number it reports with every heartbeat (higher is busier).
 *
 * load = active streams + (bytes served and received per second) / 64 MiB, measured
 * over the interval since the previous `sampleLoad()`. An idle worker reports 0; a
 * worker serving two streams at 128 MiB/s reports about 4.
 */
import type { WorkerMetrics, WorkerOutcome, WorkerStreamKind } from "./metrics.js";

/** Bytes per second that count as one unit of load. */
export const LOAD_BYTES_PER_UNIT = 64 * 1024 * 1024;

/** One stream being served; call `finish` exactly once. */
export interface StreamActivity {
  /** Count payload bytes moved by the stream. */
  addBytes(bytes: number): void;
  finish(outcome: WorkerOutcome): void;
}

/** Active streams and byte counters of one worker. */
export class WorkerActivity {
  readonly #metrics: WorkerMetrics;
  readonly #now: () => number;
  #active = 0;
  #bytes = 0;
  #lastSampleAt: number;
  #lastSampleBytes = 0;

  constructor(metrics: WorkerMetrics, now: () => number = Date.now) {
    this.#metrics = metrics;
    this.#now = now;
    this.#lastSampleAt = now();
  }

  /** Streams running now. */
  get activeStreams(): number {
    return this.#active;
  }

  /** Start tracking a stream of `kind`. */
  start(kind: WorkerStreamKind): StreamActivity {
    const started = this.#now();
    let bytes = 0;
    let done = false;
    this.#active++;
    this.#metrics.streamStarted(kind);
    return {
      addBytes: (n) => {
        bytes += n;
        this.#bytes += n;
        if (kind === "doget") this.#metrics.bytesServed(n);
      },
      finish: (outcome) => {
        if (done) return;
        done = true;
        this.#active--;
        this.#metrics.streamFinished(kind, outcome, (this.#now() - started) / 1000, bytes);
      },
    };
  }

  /** The load since the previous sample (see the file comment); resets the byte window. */
  sampleLoad(): number {
    const now = this.#now();
    const seconds = Math.max(0.001, (now - this.#lastSampleAt) / 1000);
    const rate = (this.#bytes - this.#lastSampleBytes) / seconds;
    this.#lastSampleAt = now;
    this.#lastSampleBytes = this.#bytes;
    return Math.round((this.#active + rate / LOAD_BYTES_PER_UNIT) * 1000) / 1000;
  }
}
