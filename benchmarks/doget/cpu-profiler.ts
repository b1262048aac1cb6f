/** Profiling only the measured span of a benchmark process (not start-up or table loading). */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";

/** A running profile; `stop` writes it. */
export interface CpuProfiling {
  /**
   * Stops sampling and writes the `.cpuprofile` JSON (open it in Chrome DevTools).
   * @throws Error when the file cannot be written.
   */
  stop(): Promise<void>;
}

/**
 * Starts V8's sampling profiler in this thread, to be written to `path` on `stop()`.
 * Returns a no-op when `path` is undefined, so callers need no branch.
 *
 * @param intervalMicros sampling interval in microseconds (default 500).
 */
export async function startCpuProfile(path: string | undefined, intervalMicros = 500): Promise<CpuProfiling> {
  if (path === undefined) return { stop: async () => {} };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalMicros });
  await session.post("Profiler.start");
  return {
    stop: async () => {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      await writeFile(path, JSON.stringify(profile));
    },
  };
}
