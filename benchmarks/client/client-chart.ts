/**
 * SVG chart of a client benchmark run (benchmarks/results/client.svg): one panel per shard
 * size, grouped bars per scenario (one bar per added latency), height = MB/s of the
 * median pass, with the value written on each bar.
 */
import { type ClientBenchResult, type RunFigures, SCENARIOS } from "./client-result.js";

const WIDTH = 900;
const PANEL_HEIGHT = 290;
const MARGIN = { left: 70, right: 20, top: 56, bottom: 62 };
const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"];
const SHORT: Record<string, string> = {
  a: "(a) parallel",
  "a-ordered": "(a') parallel, ordered",
  "a-v8-heap": '(a") parallel, V8 heap growth',
  "a-threads": "(a*) parallel, 2 threads",
  b: "(b) one at a time",
  c: "(c) pyarrow loop",
  d: "(d) pyarrow threads",
};

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A round axis maximum at or above `max` and its tick step (1, 2 or 5 x 10^k; at most 5 steps). */
export function niceAxis(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? 10 * power;
  return { top: Math.ceil(max / step) * step, step };
}

function panel(runs: readonly RunFigures[], delays: readonly number[], top: number): string[] {
  const out: string[] = [];
  const first = runs[0];
  if (first === undefined) return out;
  const ids = SCENARIOS.map((s) => s.id).filter((id) => runs.some((r) => r.scenarios.some((s) => s.id === id)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const max = Math.max(...runs.flatMap((r) => r.scenarios.map((s) => s.megabytesPerSecond)));
  const axis = niceAxis(max);
  const y = (v: number): number => y0 + plotH - (v / axis.top) * plotH;
  out.push(
    `<text x="${x0}" y="${top + 30}" font-size="15" font-weight="bold">${first.endpoints} endpoints x ${first.shardMiB} MiB: MB/s of the median pass (higher is better)</text>`,
  );
  for (let v = 0; v <= axis.top + axis.step / 2; v += axis.step) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${x0}" y1="${yy}" x2="${x0 + plotW}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 - 8}" y="${yy}" font-size="11" text-anchor="end" dominant-baseline="middle">${v}</text>`);
  }
  const groupW = plotW / Math.max(1, ids.length);
  const barW = Math.min(44, (groupW * 0.8) / Math.max(1, delays.length));
  for (const [g, id] of ids.entries()) {
    const gx = x0 + g * groupW + (groupW - barW * delays.length) / 2;
    for (const [d, delay] of delays.entries()) {
      const figures = runs.find((r) => r.delayMs === delay)?.scenarios.find((s) => s.id === id);
      if (figures === undefined) continue;
      const value = figures.megabytesPerSecond;
      const bx = gx + d * barW;
      const by = y(value);
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${(y0 + plotH - by).toFixed(1)}" fill="${COLORS[d % COLORS.length]}"><title>${escapeXml(`${figures.label}, ${delay} ms: ${value.toFixed(0)} MB/s, median ${(figures.medianSeconds * 1000).toFixed(0)} ms`)}</title></rect>`,
      );
      out.push(
        `<text x="${(bx + (barW - 3) / 2).toFixed(1)}" y="${(by - 4).toFixed(1)}" font-size="10" text-anchor="middle">${value.toFixed(0)}</text>`,
      );
    }
    out.push(
      `<text x="${(x0 + g * groupW + groupW / 2).toFixed(1)}" y="${y0 + plotH + 18}" font-size="12" text-anchor="middle">${escapeXml(SHORT[id] ?? id)}</text>`,
    );
  }
  out.push(`<line x1="${x0}" y1="${y0 + plotH}" x2="${x0 + plotW}" y2="${y0 + plotH}" stroke="#333"/>`);
  return out;
}

/** Renders the chart as a standalone SVG document. */
export function renderClientChart(result: ClientBenchResult): string {
  const sizes = [...new Set(result.runs.map((r) => r.shardMiB))];
  const delays = [...new Set(result.runs.map((r) => r.delayMs))];
  const legendH = 40;
  const height = legendH + sizes.length * PANEL_HEIGHT + 30;
  const body: string[] = [];
  body.push(
    `<text x="${MARGIN.left}" y="24" font-size="17" font-weight="bold">Client benchmark: ${result.method.endpoints} endpoints on ${result.method.workers} workers behind delay proxies</text>`,
  );
  for (const [d, delay] of delays.entries()) {
    const lx = MARGIN.left + d * 210;
    body.push(`<rect x="${lx}" y="${legendH - 8}" width="14" height="14" fill="${COLORS[d % COLORS.length]}"/>`);
    body.push(`<text x="${lx + 20}" y="${legendH + 4}" font-size="12">${delay} ms added per location (one way)</text>`);
  }
  for (const [i, size] of sizes.entries()) {
    body.push(
      ...panel(
        result.runs.filter((r) => r.shardMiB === size),
        delays,
        legendH + i * PANEL_HEIGHT,
      ),
    );
  }
  body.push(
    `<text x="${MARGIN.left}" y="${height - 10}" font-size="11" fill="#555">${escapeXml(`${result.startedAt}, ${result.machine.cpus} x ${result.machine.cpuModel}, Node ${result.machine.node}, pyarrow ${result.machine.pyarrow}; bars are medians (timed passes: ${result.method.timedPasses})`)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
