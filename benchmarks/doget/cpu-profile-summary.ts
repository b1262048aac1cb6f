/** Where the time goes in a V8 CPU profile (`node --cpu-prof`): self and inclusive time per function and per module. */

/** The parts of a `.cpuprofile` file this reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }>;
  readonly samples: readonly number[];
  /** Microseconds between consecutive samples (the first is relative to startTime). */
  readonly timeDeltas: readonly number[];
}

/** Time attributed to one function or module. */
export interface ProfileEntry {
  /** `function (file:line)`, or a module/area name. */
  readonly name: string;
  /** Time spent in the function itself, milliseconds. */
  readonly selfMs: number;
  /** Share of all non-idle sampled time, percent. */
  readonly selfPercent: number;
  /** Time with the function anywhere on the stack, milliseconds (functions only). */
  readonly totalMs: number;
  /** Inclusive share of non-idle time, percent. */
  readonly totalPercent: number;
  /** For functions: the callers its self time came through, largest first (percent of busy time). */
  readonly callers: ReadonlyArray<{ readonly name: string; readonly percent: number }>;
}

/** A profile's summary. */
export interface ProfileSummary {
  /** Sampled time excluding "(idle)", milliseconds. */
  readonly busyMs: number;
  /** Sampled "(idle)" time, milliseconds. */
  readonly idleMs: number;
  /** Functions by self time, largest first. */
  readonly functions: readonly ProfileEntry[];
  /** Self time grouped by area (grpc-js, apache-arrow, protocol package, node internals, GC, ...), largest first. */
  readonly areas: readonly ProfileEntry[];
}

/** A script URL shortened to the part that names it: package-relative in node_modules, repo-relative in packages/. */
function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, "");
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) return path.slice(modules + "/node_modules/".length);
  for (const root of ["/packages/", "/benchmarks/"]) {
    const at = path.lastIndexOf(root);
    if (at >= 0) return path.slice(at + 1);
  }
  return path.split("/").slice(-2).join("/");
}

/** The area a script URL belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node internals";
  if (url.includes("/@grpc/grpc-js/")) return "grpc-js";
  if (url.includes("/apache-arrow/")) return "apache-arrow";
  if (url.includes("/flatbuffers/")) return "flatbuffers";
  if (url.includes("/packages/protocol/")) return "protocol package";
  if (url.includes("/benchmarks/")) return "benchmark code";
  return "other";
}

/**
 * Summarizes a profile: each sample lasts until the next one; self time goes to the sampled
 * function, inclusive time to every distinct function on its stack.
 */
export function summarizeCpuProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const keyOf = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    if (!frame) return "(unknown)";
    const name = frame.functionName || "(anonymous)";
    return frame.url ? `${name} (${shortUrl(frame.url)}:${frame.lineNumber + 1})` : name;
  };
  const self = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  const count = profile.samples.length;
  const mean = count > 0 ? profile.timeDeltas.reduce((sum, d) => sum + d, 0) / count : 0;
  for (let i = 0; i < count; i++) {
    const id = profile.samples[i]!;
    const micros = Math.max(0, profile.timeDeltas[i + 1] ?? mean);
    const frame = byId.get(id)?.callFrame;
    if (frame?.functionName === "(idle)") {
      idle += micros;
      continue;
    }
    busy += micros;
    const key = keyOf(id);
    self.set(key, (self.get(key) ?? 0) + micros);
    const parentId = parent.get(id);
    const caller = parentId === undefined ? "(none)" : keyOf(parentId);
    const byCaller = callers.get(key) ?? new Map<string, number>();
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + micros);
    callers.set(key, byCaller);
    const area = areaOf(frame?.url ?? "", frame?.functionName ?? "");
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const stackKey = keyOf(at);
      if (seen.has(stackKey)) continue;
      seen.add(stackKey);
      total.set(stackKey, (total.get(stackKey) ?? 0) + micros);
    }
  }
  const percent = (micros: number): number => (busy > 0 ? (100 * micros) / busy : 0);
  const entry = (name: string, selfMicros: number, totalMicros: number): ProfileEntry => ({
    name,
    selfMs: selfMicros / 1000,
    selfPercent: percent(selfMicros),
    totalMs: totalMicros / 1000,
    totalPercent: percent(totalMicros),
    callers: [...(callers.get(name) ?? new Map<string, number>()).entries()]
      .sort((x, y) => y[1] - x[1])
      .map(([caller, micros]) => ({ name: caller, percent: percent(micros) })),
  });
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    functions: [...self.entries()]
      .map(([name, micros]) => entry(name, micros, total.get(name) ?? micros))
      .sort((x, y) => y.selfMs - x.selfMs),
    areas: [...areas.entries()]
      .map(([name, micros]) => entry(name, micros, micros))
      .sort((x, y) => y.selfMs - x.selfMs),
  };
}

/**
 * Plain-text rendering: areas, then the `top` functions by self time (with inclusive time),
 * each of the first ten with its two main callers.
 */
export function formatProfileSummary(summary: ProfileSummary, top: number): string {
  const lines = [
    `busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms (percentages are of busy time)`,
    "by area (self):",
    ...summary.areas.map((a) => `  ${a.selfPercent.toFixed(1).padStart(5)}%  ${a.name}`),
    `top ${top} functions: self% / inclusive%`,
    ...summary.functions
      .slice(0, top)
      .flatMap((f, i) => [
        `  ${f.selfPercent.toFixed(1).padStart(5)}% / ${f.totalPercent.toFixed(1).padStart(5)}%  ${f.name}`,
        ...(i < 10
          ? f.callers.slice(0, 2).map((c) => `                  <- ${c.percent.toFixed(1)}% from ${c.name}`)
          : []),
      ]),
  ];
  return lines.join("\n");
}
