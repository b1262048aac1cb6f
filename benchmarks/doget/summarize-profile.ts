/**
 * Prints where the time goes in `.cpuprofile` files (written by `pnpm bench:doget --cpu-prof`).
 *
 * Usage: node benchmarks/dist/doget/summarize-profile.js [--top N] FILE.cpuprofile...
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { failProcess } from "./bench-events.js";
import { parsePositiveInt } from "./cli-args.js";
import type { CpuProfile } from "./cpu-profile-summary.js";
import { formatProfileSummary, summarizeCpuProfile } from "./cpu-profile-summary.js";

try {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string" } } });
  const top = parsePositiveInt(values.top, "--top") ?? 25;
  if (positionals.length === 0) throw new Error("give at least one .cpuprofile file");
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    process.stdout.write(`== ${file}\n${formatProfileSummary(summarizeCpuProfile(profile), top)}\n`);
  }
} catch (error) {
  failProcess("summarize-profile", error);
}
