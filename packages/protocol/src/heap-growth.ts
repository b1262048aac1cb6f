/**
 * V8's old-generation limit for processes that stream Arrow data.
 *
 * After each full (Mark-Compact) GC, V8 sets the next one's trigger, the old-generation
 * allocation limit, to the live JavaScript heap times a growing factor that it picks between
 * 1.1 and 4 from how fast its GC runs against how fast the program allocates. ArrayBuffer
 * memory allocated since the last full GC counts against that same limit. A Flight process
 * has a small JavaScript heap (about 14 MB in our client) and moves hundreds of megabytes
 * per second through ArrayBuffers (every received message is one), so with a factor near 2
 * the limit leaves room for only about 24 MB of buffers between full GCs. Ordinary churn
 * (buffers freed only at the next young-generation GC, which V8 runs after about 32 MB of
 * new buffers) overruns that room, and the process falls into a run of back-to-back full
 * GCs. Because V8 lowers the factor when GCs come often, the state feeds itself.
 *
 * Measured against 8 local workers (docs/client.md, "Memory and garbage collection"): a
 * client reading 1 GiB three times with eight streams ran 85-94 full GCs, and 3.5-4.4
 * CPU-seconds for the last two passes, with V8's own factor; 6-12 full GCs and 2.0-2.3
 * CPU-seconds with the factor fixed at 4. One stream at a time fell into the same state in
 * about one run out of three.
 *
 * {@link useStreamingHeapGrowth} fixes the factor (V8's `--heap-growing-percent`) at V8's
 * own upper bound. It changes when full GCs run, not what they collect, and not the heap's
 * maximum (`--max-old-space-size`); the cost is that the JavaScript heap may grow to four
 * times its live size before a full GC. The flag is process-wide, so a library must not
 * set it on its own: the `flight-cluster` CLI calls this at startup, and an application
 * that fetches or serves a lot of Arrow data can call it too (or start Node with
 * `--heap-growing-percent=300`).
 */
import { setFlagsFromString } from "node:v8";

/** The default of {@link useStreamingHeapGrowth}: 300, a growing factor of 4 (V8's maximum). */
export const STREAMING_HEAP_GROWING_PERCENT = 300;

const FLAG = "--heap-growing-percent";

/**
 * Fix V8's heap growing factor at `1 + percent / 100` for the rest of the process, unless
 * the process was started with `--heap-growing-percent` (the command line wins).
 * @param percent - an integer in 1..1000; default {@link STREAMING_HEAP_GROWING_PERCENT}.
 * @param execArgv - the process's Node options (for tests); default `process.execArgv`.
 * @returns the percent now in force, or undefined when the command line set it.
 * @throws RangeError when `percent` is not an integer in 1..1000.
 */
export function useStreamingHeapGrowth(
  percent: number = STREAMING_HEAP_GROWING_PERCENT,
  execArgv: readonly string[] = process.execArgv,
): number | undefined {
  if (!Number.isInteger(percent) || percent < 1 || percent > 1000) {
    throw new RangeError(`heap growing percent must be an integer in 1..1000, got ${percent}`);
  }
  if (execArgv.some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`) || arg.startsWith("--heap_growing_percent"))) {
    return undefined;
  }
  setFlagsFromString(`${FLAG}=${percent}`);
  return percent;
}
