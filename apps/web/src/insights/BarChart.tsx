import { useId } from 'react';

export interface ChartSeries {
  name: string;
  /** 'solid' or 'hatched': the series differ by pattern as well as colour (never by colour alone). */
  look: 'solid' | 'hatched';
}

export interface ChartRow {
  label: string;
  values: (number | null)[];
}

const WIDTH = 640;
const LABEL_W = 190;
const VALUE_W = 96;
const BAR_H = 18;
const BAR_GAP = 3;
const GROUP_GAP = 14;
const TOP = 4;
const MAX_LABEL = 24;

const short = (s: string) => (s.length > MAX_LABEL ? `${s.slice(0, MAX_LABEL - 1)}…` : s);

/**
 * A horizontal grouped bar chart as plain SVG (no library, no inline styles: positions are SVG attributes and the
 * colours come from classes in insights.css, so it renders under the strict CSP). It is one image for assistive
 * technology, named by `title`; its numbers are in the page's data table (`describedBy`). Each bar also has a
 * <title> (hover) with its label, series and value.
 */
export function BarChart({
  title,
  describedBy,
  series,
  rows,
  max,
  format,
  barTitle,
  noValue,
}: {
  title: string;
  describedBy: string;
  series: ChartSeries[];
  rows: ChartRow[];
  /** The value of a full-length bar (e.g. 1 for shares); defaults to the largest value. */
  max?: number;
  format: (v: number) => string;
  barTitle: (label: string, series: string, value: string) => string;
  noValue: string;
}) {
  const id = useId().replace(/:/g, '');
  const top = max ?? Math.max(0, ...rows.flatMap((r) => r.values.map((v) => v ?? 0)));
  const groupH = series.length * (BAR_H + BAR_GAP) - BAR_GAP;
  const height = TOP * 2 + rows.length * groupH + Math.max(0, rows.length - 1) * GROUP_GAP;
  const span = WIDTH - LABEL_W - VALUE_W;
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={title} aria-describedby={describedBy} preserveAspectRatio="xMinYMin meet">
      <defs>
        <pattern id={`hatch-${id}`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" className="chart__hatch-bg" />
          <line x1="0" y1="0" x2="0" y2="6" className="chart__hatch-line" strokeWidth="3" />
        </pattern>
      </defs>
      <line x1={LABEL_W} y1={0} x2={LABEL_W} y2={height} className="chart__axis" />
      {rows.map((row, i) => {
        const y0 = TOP + i * (groupH + GROUP_GAP);
        return (
          <g key={`${row.label}-${i}`}>
            <text x={LABEL_W - 8} y={y0 + groupH / 2} className="chart__label" textAnchor="end" dominantBaseline="middle">
              {short(row.label)}
            </text>
            {series.map((s, j) => {
              const v = row.values[j] ?? null;
              const w = v === null || top <= 0 ? 0 : Math.max(v > 0 ? 2 : 0, (v / top) * span);
              const y = y0 + j * (BAR_H + BAR_GAP);
              const shown = v === null ? noValue : format(v);
              return (
                <g key={s.name}>
                  <title>{barTitle(row.label, s.name, shown)}</title>
                  <rect x={LABEL_W} y={y} width={w} height={BAR_H} className={s.look === 'solid' ? 'chart__bar' : 'chart__bar chart__bar--hatched'} fill={s.look === 'hatched' ? `url(#hatch-${id})` : undefined} />
                  <text x={LABEL_W + w + 6} y={y + BAR_H / 2} className="chart__value" dominantBaseline="middle">
                    {shown}
                  </text>
                </g>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}

/** The legend of a chart: each series with its pattern swatch. */
export function ChartLegend({ series }: { series: ChartSeries[] }) {
  const id = useId().replace(/:/g, '');
  return (
    <ul className="chart-legend">
      {series.map((s) => (
        <li key={s.name}>
          <svg width="20" height="14" viewBox="0 0 20 14" aria-hidden="true" focusable="false">
            <defs>
              <pattern id={`lh-${id}`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                <rect width="6" height="6" className="chart__hatch-bg" />
                <line x1="0" y1="0" x2="0" y2="6" className="chart__hatch-line" strokeWidth="3" />
              </pattern>
            </defs>
            <rect width="20" height="14" className={s.look === 'solid' ? 'chart__bar' : 'chart__bar chart__bar--hatched'} fill={s.look === 'hatched' ? `url(#lh-${id})` : undefined} />
          </svg>
          {s.name}
        </li>
      ))}
    </ul>
  );
}
