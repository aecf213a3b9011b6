import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { CHART_HEIGHT, CHART_WIDTH, chartSvg, renderChart, wallClock, type ChartInput } from './chart.js';

const DAY = 86_400_000;
const start = Date.UTC(2025, 2, 1, 7, 30);
const weights = Array.from({ length: 14 }, (_, i) => ({ at: new Date(start + i * DAY), value: 80 + i * 0.25 }));
const input: ChartInput = {
  title: 'Weight',
  unit: 'kg',
  from: new Date(start - DAY),
  to: new Date(start + 14 * DAY),
  timeZone: 'UTC',
  subtitle: '28 Feb 2025 – 15 Mar 2025 · 14 readings · UTC',
  series: [{ key: 'value', label: 'Weight', points: weights }],
};

/** The points of a series' line, from its path. */
function pathPoints(svg: string, key: string): [number, number][] {
  const group = new RegExp(`<g class="series" data-series="${key}" data-points="(\\d+)">\\n<path d="M([^"]+)"`).exec(svg);
  assert.ok(group, `series ${key} has a line`);
  return group[2]!.split('L').map((p) => p.split(',').map(Number) as [number, number]);
}

describe('chart renderer', () => {
  test('the PNG is a valid image of the chart size', async () => {
    const { png, svg } = await renderChart(input);
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, CHART_WIDTH);
    assert.equal(meta.height, CHART_HEIGHT);
    assert.deepEqual(png.subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Not a blank canvas: the line and the text put other colours than white on it.
    const stats = await sharp(png).stats();
    assert.ok(stats.channels.some((c) => c.min < 128), 'something is drawn');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="960" height="480"/);
  });

  test('the SVG holds every reading of the series, left to right, higher values higher up', () => {
    const svg = chartSvg(input);
    assert.match(svg, /data-series="value" data-points="14"/);
    const pts = pathPoints(svg, 'value');
    assert.equal(pts.length, 14);
    for (let i = 1; i < pts.length; i++) {
      assert.ok(pts[i]![0] > pts[i - 1]![0], 'time runs left to right');
      assert.ok(pts[i]![1] < pts[i - 1]![1], 'rising weight goes up (SVG y grows downwards)');
    }
    assert.equal((svg.match(/<circle /g) ?? []).length, 14);
    assert.match(svg, />Weight \(kg\)</);
    assert.match(svg, /28 Feb 2025 – 15 Mar 2025/);
    assert.match(svg, />3 Mar</, 'the time axis is labelled with dates');
  });

  test('two series (blood pressure) with reference bands and a legend', () => {
    const sys = weights.map((p, i) => ({ at: p.at, value: 120 + i }));
    const dia = weights.map((p, i) => ({ at: p.at, value: 78 + (i % 3) }));
    const svg = chartSvg({
      ...input,
      title: 'Blood pressure',
      unit: 'mmHg',
      series: [
        { key: 'systolic', label: 'Systolic', points: sys, reference: { low: 90, high: 130 } },
        { key: 'diastolic', label: 'Diastolic', points: dia, reference: { low: 60, high: 80 } },
      ],
    });
    assert.equal(pathPoints(svg, 'systolic').length, 14);
    assert.equal(pathPoints(svg, 'diastolic').length, 14);
    assert.equal((svg.match(/<g class="reference"/g) ?? []).length, 2);
    assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 4, 'a dashed line at each bound');
    assert.match(svg, /<g class="legend">.*Systolic.*Diastolic.*reference range/s);
  });

  test('a single reading, a flat series and a one-sided reference range still draw', async () => {
    const one = { ...input, series: [{ key: 'value', label: 'Sleep efficiency', points: [{ at: new Date(start), value: 81 }], reference: { low: 85 } }] };
    const svg = chartSvg(one);
    assert.match(svg, /data-points="1"/);
    assert.equal((svg.match(/<circle /g) ?? []).length, 1);
    assert.match(svg, /<g class="reference"/);
    const meta = await sharp((await renderChart(one)).png).metadata();
    assert.equal(meta.format, 'png');
  });

  test('text is escaped', () => {
    const svg = chartSvg({ ...input, title: 'A <b>&"quoted"</b>', subtitle: "x < y & 'z'" });
    assert.match(svg, /A &lt;b&gt;&amp;&quot;quoted&quot;&lt;\/b&gt;/);
    assert.doesNotMatch(svg, /<b>/);
  });

  test('the time axis shows wall-clock time of the time zone', () => {
    const at = new Date('2025-03-30T23:30:00Z');
    assert.equal(wallClock(at, 'UTC').toISOString(), '2025-03-30T23:30:00.000Z');
    assert.equal(wallClock(at, 'Europe/Berlin').toISOString(), '2025-03-31T01:30:00.000Z');
    assert.equal(wallClock(at, 'America/New_York').toISOString(), '2025-03-30T19:30:00.000Z');
  });
});
