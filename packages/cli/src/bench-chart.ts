/** The SVG bar chart of `flight-cluster bench`: throughput of each mode, no dependencies. */

/** One bar of {@link renderBenchChart}. */
export interface ChartBar {
  /** Label under the bar. */
  readonly label: string;
  /** Bar height, in the chart's unit (MB/s). */
  readonly value: number;
  /** Range drawn as a whisker (slowest and fastest pass), same unit. */
  readonly low?: number;
  readonly high?: number;
}

const COLORS = ["#4c78a8", "#8c8c8c", "#f58518", "#54a24b"] as const;
const WIDTH = 640;
const HEIGHT = 400;
const MARGIN = { left: 72, right: 24, top: 64, bottom: 56 } as const;

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tick step of 1, 2, 2.5 or 5 times a power of ten giving at most `maxTicks` intervals up to `max` (> 0). */
export function niceStep(max: number, maxTicks: number): number {
  const rough = max / maxTicks;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 2.5, 5]) if (factor * power >= rough) return factor * power;
  return 10 * power;
}

/**
 * A vertical bar chart: one bar per entry with its value written above, an optional
 * whisker, a y axis in `unit`, a title and a subtitle. Returns a complete SVG document.
 */
export function renderBenchChart(title: string, subtitle: string, unit: string, bars: readonly ChartBar[]): string {
  const top = Math.max(1e-9, ...bars.map((b) => Math.max(b.value, b.high ?? 0)));
  const step = niceStep(top, 6);
  const axisMax = Math.ceil(top / step) * step;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const y = (v: number): number => MARGIN.top + plotHeight * (1 - Math.max(0, v) / axisMax);
  const slot = plotWidth / Math.max(1, bars.length);
  const barWidth = Math.min(120, slot * 0.6);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${WIDTH / 2}" y="44" text-anchor="middle" fill="#555555">${escapeXml(subtitle)}</text>`,
  ];
  for (let tick = 0; tick <= axisMax + step / 1e6; tick += step) {
    const ty = y(tick).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#e0e0e0"/>`);
    out.push(
      `<text x="${MARGIN.left - 8}" y="${ty}" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`,
    );
  }
  const midY = MARGIN.top + plotHeight / 2;
  out.push(
    `<text x="18" y="${midY}" text-anchor="middle" transform="rotate(-90 18 ${midY})">${escapeXml(unit)}</text>`,
  );
  bars.forEach((bar, i) => {
    const cx = MARGIN.left + slot * (i + 0.5);
    const by = y(bar.value);
    const color = COLORS[i % COLORS.length] ?? "#4c78a8";
    out.push(
      `<rect x="${(cx - barWidth / 2).toFixed(1)}" y="${by.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(MARGIN.top + plotHeight - by).toFixed(1)}" fill="${color}"/>`,
    );
    if (bar.low !== undefined && bar.high !== undefined) {
      const [lo, hi] = [y(bar.low).toFixed(1), y(bar.high).toFixed(1)];
      out.push(`<line x1="${cx}" x2="${cx}" y1="${lo}" y2="${hi}" stroke="#222222"/>`);
      for (const end of [lo, hi])
        out.push(`<line x1="${cx - 6}" x2="${cx + 6}" y1="${end}" y2="${end}" stroke="#222222"/>`);
    }
    const labelY = Math.min(by, bar.high === undefined ? by : y(bar.high)) - 6;
    out.push(`<text x="${cx}" y="${labelY.toFixed(1)}" text-anchor="middle">${formatTick(bar.value)}</text>`);
    out.push(`<text x="${cx}" y="${MARGIN.top + plotHeight + 20}" text-anchor="middle">${escapeXml(bar.label)}</text>`);
  });
  out.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" stroke="#333333"/>`,
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}

function formatTick(value: number): string {
  if (value === 0) return "0";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toPrecision(3);
}
