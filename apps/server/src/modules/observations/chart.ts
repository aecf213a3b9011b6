import { scaleLinear, scaleUtc } from 'd3-scale';

/**
 * Renders a chart of one metric over a period: an SVG built here (axes, grid, labels, the reference band, the series
 * as a line with points) rasterized to PNG by sharp (libvips' SVG renderer). The time axis shows wall-clock time of
 * the given time zone. Text is drawn with the system's fonts (DejaVu Sans or any sans-serif fontconfig finds).
 */

export const CHART_WIDTH = 960;
export const CHART_HEIGHT = 480;
const MARGIN = { top: 78, right: 32, bottom: 48, left: 72 };
const COLORS = ['#1f6feb', '#cf222e', '#1a7f37'];
const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';
/** Points are drawn as dots only when there are few enough to tell apart. */
const MAX_DOTS = 150;

export interface ChartSeries {
  key: string;
  label: string;
  points: readonly { at: Date; value: number }[];
  /** Reference range drawn as a band behind the series; a missing bound extends to the edge of the plot. */
  reference?: { low?: number; high?: number };
}

export interface ChartInput {
  title: string;
  /** Unit as people write it, shown in the title ("kg", "mmHg"); empty for unitless scores. */
  unit: string;
  from: Date;
  to: Date;
  timeZone: string;
  series: readonly ChartSeries[];
  /** A line under the title, e.g. the period and the number of readings. */
  subtitle: string;
}

const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fixed = (n: number): string => (Math.round(n * 10) / 10).toString();

const wallFormats = new Map<string, Intl.DateTimeFormat>();
/** The instant whose UTC fields equal the wall-clock time of `at` in the zone, so UTC scales tick on local midnights. */
export function wallClock(at: Date, timeZone: string): Date {
  let f = wallFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    wallFormats.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return new Date(Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'), at.getUTCMilliseconds()));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Labels of the time axis (wall-clock dates): hours for a day or two, "3 Mar" up to half a year, "Mar 2025" beyond. */
function timeLabel([from, to]: [Date, Date]): (t: Date) => string {
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (days <= 2) return (t) => (t.getUTCHours() === 0 && t.getUTCMinutes() === 0 ? `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]}` : `${pad2(t.getUTCHours())}:${pad2(t.getUTCMinutes())}`);
  if (days <= 183) return (t) => `${t.getUTCDate()} ${MONTHS[t.getUTCMonth()]}`;
  return (t) => `${MONTHS[t.getUTCMonth()]} ${t.getUTCFullYear()}`;
}

/** The chart as an SVG document. */
export function chartSvg(input: ChartInput): string {
  const width = CHART_WIDTH;
  const height = CHART_HEIGHT;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };

  const x = scaleUtc()
    .domain([wallClock(input.from, input.timeZone), wallClock(input.to, input.timeZone)])
    .range([plot.left, plot.right]);
  const values = input.series.flatMap((s) => s.points.map((p) => p.value));
  const bounds = input.series.flatMap((s) => [s.reference?.low, s.reference?.high]).filter((v): v is number => v !== undefined);
  const all = [...values, ...bounds];
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.06;
  const y = scaleLinear()
    .domain([lo - pad, hi + pad])
    .range([plot.bottom, plot.top])
    .nice();
  const [yMin, yMax] = y.domain() as [number, number];

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const title = input.unit ? `${input.title} (${input.unit})` : input.title;
  out.push(`<text x="${plot.left}" y="34" font-size="22" font-weight="bold" fill="#1f2328">${escapeXml(title)}</text>`);
  out.push(`<text x="${plot.left}" y="58" font-size="14" fill="#59636e">${escapeXml(input.subtitle)}</text>`);

  // Reference bands, behind everything else.
  input.series.forEach((s, i) => {
    if (!s.reference || (s.reference.low === undefined && s.reference.high === undefined)) return;
    const color = COLORS[i % COLORS.length]!;
    const top = y(Math.min(s.reference.high ?? yMax, yMax));
    const bottom = y(Math.max(s.reference.low ?? yMin, yMin));
    if (bottom <= top) return;
    out.push(`<g class="reference" data-series="${escapeXml(s.key)}">`);
    out.push(`<rect x="${plot.left}" y="${fixed(top)}" width="${plot.right - plot.left}" height="${fixed(bottom - top)}" fill="${color}" fill-opacity="0.08"/>`);
    for (const bound of [s.reference.low, s.reference.high]) {
      if (bound === undefined || bound < yMin || bound > yMax) continue;
      out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${fixed(y(bound))}" y2="${fixed(y(bound))}" stroke="${color}" stroke-opacity="0.55" stroke-dasharray="6 4"/>`);
    }
    out.push('</g>');
  });

  // Grid and axes.
  const yFormat = y.tickFormat(6);
  out.push('<g class="axis y">');
  for (const t of y.ticks(6)) {
    const py = fixed(y(t));
    out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${py}" y2="${py}" stroke="#d1d9e0" stroke-width="1"/>`);
    out.push(`<text x="${plot.left - 10}" y="${py}" font-size="13" fill="#59636e" text-anchor="end" dominant-baseline="middle">${escapeXml(yFormat(t))}</text>`);
  }
  out.push('</g>');
  const xFormat = timeLabel(x.domain() as [Date, Date]);
  out.push('<g class="axis x">');
  out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#59636e" stroke-width="1"/>`);
  for (const t of x.ticks(8)) {
    const px = fixed(x(t));
    out.push(`<line x1="${px}" x2="${px}" y1="${plot.bottom}" y2="${plot.bottom + 6}" stroke="#59636e"/>`);
    out.push(`<text x="${px}" y="${plot.bottom + 24}" font-size="13" fill="#59636e" text-anchor="middle">${escapeXml(xFormat(t))}</text>`);
  }
  out.push('</g>');

  // The series.
  input.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.at.getTime() - b.at.getTime()).map((p) => [fixed(x(wallClock(p.at, input.timeZone))), fixed(y(p.value))] as const);
    out.push(`<g class="series" data-series="${escapeXml(s.key)}" data-points="${pts.length}">`);
    if (pts.length > 1) out.push(`<path d="M${pts.map(([px, py]) => `${px},${py}`).join('L')}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"/>`);
    if (pts.length <= MAX_DOTS) for (const [px, py] of pts) out.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${color}"/>`);
    out.push('</g>');
  });

  // Legend, right-aligned above the plot.
  const hasBand = input.series.some((s) => s.reference);
  if (input.series.length > 1 || hasBand) {
    const legend = [
      ...input.series.map((s, i) => ({ label: s.label, color: COLORS[i % COLORS.length]!, band: false })),
      ...(hasBand ? [{ label: 'reference range', color: '#8c959f', band: true }] : []),
    ];
    const widths = legend.map((item) => 30 + item.label.length * 7.5);
    let lx = plot.right - widths.reduce((a, b) => a + b, 0);
    const parts = legend.map((item, i) => {
      const mark = item.band
        ? `<rect x="${fixed(lx)}" y="26" width="18" height="10" fill="${item.color}" fill-opacity="0.3"/>`
        : `<line x1="${fixed(lx)}" x2="${fixed(lx + 18)}" y1="31" y2="31" stroke="${item.color}" stroke-width="3"/>`;
      const part = `${mark}<text x="${fixed(lx + 24)}" y="35" font-size="13" fill="#1f2328">${escapeXml(item.label)}</text>`;
      lx += widths[i]!;
      return part;
    });
    out.push(`<g class="legend">${parts.join('')}</g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The chart as SVG and as PNG (CHART_WIDTH × CHART_HEIGHT). */
export async function renderChart(input: ChartInput): Promise<{ svg: string; png: Buffer }> {
  // Loaded on first use, like the attachment image pipeline (it costs ~140 ms of cold start).
  const { default: sharp } = await import('sharp');
  const svg = chartSvg(input);
  const png = await sharp(Buffer.from(svg), { density: 72 }).png({ compressionLevel: 9 }).toBuffer();
  return { svg, png };
}
