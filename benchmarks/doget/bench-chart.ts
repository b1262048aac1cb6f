/** Rendering the results as an SVG bar chart (benchmarks/results/doget.svg), without dependencies. */
import type { ScenarioId } from "./bench-options.js";
import { SCENARIO_IDS, SCENARIO_LABELS } from "./bench-options.js";
import type { BenchResult } from "./bench-result.js";

const COLORS: Readonly<Record<ScenarioId, string>> = { a: "#f58518", a2: "#e45756", b: "#8c8c8c", c: "#4c78a8" };
const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 64, right: 24, top: 92, bottom: 48 } as const;

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A tick step of 1, 2, 2.5 or 5 times a power of ten giving at most `maxTicks` intervals up to `max`.
 * @throws RangeError for a non-positive `max`.
 */
export function niceStep(max: number, maxTicks: number): number {
  if (!(max > 0)) throw new RangeError("niceStep needs a positive maximum");
  const rough = max / maxTicks;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 2.5, 5, 10]) {
    if (factor * power >= rough) return factor * power;
  }
  return 10 * power;
}

/**
 * Grouped bar chart: one group per table, one bar per scenario (median GB/s, with a min-max
 * whisker and the value written above). A scenario that failed shows "n/a" in place of its bar.
 */
export function renderChart(result: BenchResult): string {
  const tables = result.tables.map((t) => t.name);
  const ids = SCENARIO_IDS.filter((id) => result.scenarios.some((s) => s.scenario === id));
  const top = Math.max(1e-9, ...result.scenarios.map((s) => s.figures?.maxGBps ?? 0));
  const step = niceStep(top, 6);
  const axisMax = Math.ceil(top / step) * step;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (gbps: number): number => MARGIN.top + plotHeight * (1 - gbps / axisMax);
  const groupWidth = plotWidth / Math.max(1, tables.length);
  const barWidth = Math.min(72, (groupWidth * 0.8) / Math.max(1, ids.length));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(
      `DoGet throughput, median of ${result.passes * result.rounds} passes (GB/s of Arrow body bytes)${result.quick ? ", quick run" : ""}`,
    )}</text>`,
  ];
  ids.forEach((id, i) => {
    const x = MARGIN.left + (i % 2) * 340;
    const legendY = 42 + Math.floor(i / 2) * 20;
    out.push(`<rect x="${x}" y="${legendY - 10}" width="12" height="12" fill="${COLORS[id]}"/>`);
    out.push(`<text x="${x + 18}" y="${legendY}">${escapeXml(SCENARIO_LABELS[id])}</text>`);
  });
  for (let tick = 0; tick <= axisMax + step / 1e6; tick += step) {
    const ty = y(tick).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${ty}" dy="4" text-anchor="end">${Number(tick.toFixed(3))}</text>`);
  }
  out.push(
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">GB/s</text>`,
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
  );
  tables.forEach((table, g) => {
    const groupLeft = MARGIN.left + g * groupWidth + (groupWidth - barWidth * ids.length) / 2;
    const description = result.tables.find((t) => t.name === table)?.description ?? "";
    out.push(
      `<text x="${MARGIN.left + (g + 0.5) * groupWidth}" y="${HEIGHT - 20}" text-anchor="middle" font-weight="bold">${escapeXml(
        `${table}: ${description}`,
      )}</text>`,
    );
    ids.forEach((id, i) => {
      const x = groupLeft + i * barWidth;
      const cx = (x + barWidth / 2).toFixed(1);
      const figures = result.scenarios.find((s) => s.table === table && s.scenario === id)?.figures;
      if (!figures) {
        out.push(`<text x="${cx}" y="${y(0) - 6}" text-anchor="middle" fill="#999">n/a</text>`);
        return;
      }
      const barTop = y(figures.medianGBps);
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${barTop.toFixed(1)}" width="${(barWidth - 4).toFixed(1)}" height="${(y(0) - barTop).toFixed(1)}" fill="${COLORS[id]}"><title>${escapeXml(
          `${SCENARIO_LABELS[id]}, ${table}: median ${figures.medianGBps.toFixed(2)} GB/s (min ${figures.minGBps.toFixed(2)}, max ${figures.maxGBps.toFixed(2)})`,
        )}</title></rect>`,
        `<line x1="${cx}" x2="${cx}" y1="${y(figures.minGBps).toFixed(1)}" y2="${y(figures.maxGBps).toFixed(1)}" stroke="#222"/>`,
        `<text x="${cx}" y="${(Math.min(barTop, y(figures.maxGBps)) - 5).toFixed(1)}" text-anchor="middle">${figures.medianGBps.toFixed(2)}</text>`,
      );
    });
  });
  out.push("</svg>", "");
  return out.join("\n");
}
