import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { OperationOutput } from '@haven/api';
import { Layout } from '../components/Layout.js';
import { useSession } from '../hooks/useSession.js';
import { api, isApiError } from '../lib/api.js';
import { topicLabel } from '../lib/format.js';
import { BarChart, ChartLegend, type ChartSeries } from './BarChart.js';
import { NoAccess } from './NoAccess.js';
import { fieldErrorsOf } from './problems.js';
import '../styles/insights.css';

type Report = OperationOutput<'analytics.report'>;
type Row = Report['rows'][number];
type GroupBy = Report['groupBy'];
type Period = 'day' | 'week' | 'month';
interface Query {
  from: string;
  to: string;
  groupBy: GroupBy;
  period: Period;
}

const GROUPS: GroupBy[] = ['staff', 'topic', 'department', 'period'];
const PERIODS: Period[] = ['day', 'week', 'month'];
const MAX_DAYS = 731;
const FIELDS = ['from', 'to', 'groupBy', 'period'] as const;

/** YYYY-MM-DD of a local date. */
const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const daysAgo = (n: number) => {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return ymd(d);
};
/** The chosen days as the API's half-open range: from the first day's local midnight to the midnight after the last. */
function range(q: Query): { from: string; to: string } {
  const from = new Date(`${q.from}T00:00:00`);
  const to = new Date(`${q.to}T00:00:00`);
  to.setDate(to.getDate() + 1);
  return { from: from.toISOString(), to: to.toISOString() };
}
const apiQuery = (q: Query) => ({ ...range(q), groupBy: q.groupBy, ...(q.groupBy === 'period' ? { period: q.period } : {}) });

const sum = (rows: Row[], f: (r: Row) => number) => rows.reduce((n, r) => n + f(r), 0);

/**
 * Care analytics for practice admins (`analytics.report`, `analytics.export`): response times, volumes and SLA
 * adherence over a chosen period, grouped as the API allows, as SVG charts with the numbers in a table, and the
 * same report as a CSV file downloaded through the SDK with the session (the URL carries dates and a grouping only).
 */
export default function AnalyticsPage() {
  const { t } = useTranslation();
  const { session } = useSession();
  if (session?.user.role !== 'admin') return <NoAccess title={t('analytics.noAccess')} />;
  return <Analytics />;
}

function Analytics() {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const ids = useId();
  const [form, setForm] = useState<Query>(() => ({ from: daysAgo(29), to: ymd(new Date()), groupBy: 'staff', period: 'week' }));
  const [shown, setShown] = useState<{ query: Query; report: Report } | null>(null);
  const [loading, setLoading] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [download, setDownload] = useState<{ state: 'idle' | 'busy' | 'done' | 'failed'; name?: string }>({ state: 'idle' });
  const fieldRefs = useRef<Record<string, HTMLElement | null>>({});

  const validate = (q: Query): Record<string, string> => {
    const e: Record<string, string> = {};
    if (!q.from) e.from = t('analytics.errors.fromRequired');
    if (!q.to) e.to = t('analytics.errors.toRequired');
    if (q.from && q.to) {
      const days = (new Date(`${q.to}T00:00:00`).getTime() - new Date(`${q.from}T00:00:00`).getTime()) / 86_400_000;
      if (days < 0) e.to = t('analytics.errors.toBeforeFrom');
      else if (days + 1 > MAX_DAYS) e.to = t('analytics.errors.rangeTooLong');
    }
    return e;
  };

  const load = useCallback(
    async (q: Query, focusOnError = true) => {
      setLoading(true);
      setFormError(null);
      try {
        const report = await api.call('analytics.report', { query: apiQuery(q) });
        setShown({ query: q, report });
        setErrors({});
        setDownload({ state: 'idle' });
      } catch (err) {
        const p = fieldErrorsOf(err, FIELDS);
        const translated = Object.fromEntries(Object.entries(p.fields).map(([k, m]) => [k, `${t('analytics.errors.invalid')} (${m})`]));
        setErrors(translated);
        setFormError(p.status === 403 ? t('analytics.errors.forbidden') : (p.form ?? (Object.keys(translated).length ? null : t('app.errorGeneric'))));
        const first = FIELDS.find((f) => translated[f]);
        if (focusOnError && first) fieldRefs.current[first]?.focus();
      } finally {
        setLoading(false);
      }
    },
    [t],
  );

  // The first report: the last 30 days, by who answered first.
  useEffect(() => {
    void load(form, false);
  }, []);

  const submit = (q: Query) => {
    const e = validate(q);
    setErrors(e);
    const first = FIELDS.find((f) => e[f]);
    if (first) {
      setFormError(null);
      fieldRefs.current[first]?.focus();
      return;
    }
    void load(q);
  };
  const onSubmit = (ev: FormEvent) => {
    ev.preventDefault();
    submit(form);
  };
  const quick = (days: number) => {
    const q = { ...form, from: daysAgo(days - 1), to: ymd(new Date()) };
    setForm(q);
    submit(q);
  };

  const downloadCsv = async () => {
    if (!shown) return;
    setDownload({ state: 'busy' });
    try {
      const file = await api.downloadAnalyticsCsv(apiQuery(shown.query));
      const name = `haven-analytics-${shown.query.from}-to-${shown.query.to}-${shown.query.groupBy}.csv`;
      const url = URL.createObjectURL(new Blob([file.bytes as BlobPart], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setDownload({ state: 'done', name });
    } catch (err) {
      setDownload({ state: 'failed' });
      if (isApiError(err, 403)) setFormError(t('analytics.errors.forbidden'));
    }
  };

  const labelOf = (row: Row, groupBy: GroupBy, period: Period): string => {
    if (groupBy === 'staff' && row.key === 'unanswered') return t('analytics.labels.unanswered');
    if (groupBy === 'department' && row.key === 'none') return t('analytics.labels.none');
    if (groupBy === 'topic') return topicLabel(t, row.key);
    if (groupBy === 'period' && /^\d{4}-\d{2}-\d{2}$/.test(row.key)) {
      const opts: Intl.DateTimeFormatOptions = period === 'month' ? { year: 'numeric', month: 'long', timeZone: 'UTC' } : { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' };
      return new Intl.DateTimeFormat(lng, opts).format(new Date(`${row.key}T00:00:00Z`));
    }
    return row.label;
  };

  const err = (name: string) => (errors[name] ? `${ids}-${name}-error` : undefined);
  const num = (v: number) => new Intl.NumberFormat(lng, { maximumFractionDigits: 1 }).format(v);
  const pct = (v: number) => new Intl.NumberFormat(lng, { maximumFractionDigits: 0 }).format(v * 100);
  const minutes = (v: number) => t('analytics.charts.minutes', { value: num(v) });
  const percent = (v: number) => t('analytics.charts.percent', { value: pct(v) });
  const dash = t('analytics.summary.none');
  const cell = (v: number | null, f: (n: number) => string = num) => (v === null ? dash : f(v));
  const barTitle = (label: string, series: string, value: string) => t('analytics.charts.barTitle', { label, series, value });
  const tableId = `${ids}-table`;

  const report = shown?.report;
  const rows = report?.rows ?? [];
  const labelled = shown ? rows.map((r) => ({ row: r, label: labelOf(r, shown.query.groupBy, shown.query.period) })) : [];
  const responses = sum(rows, (r) => r.responses);
  const late = sum(rows, (r) => r.lateResponses);
  const dateText = (d: string) => new Intl.DateTimeFormat(lng, { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(`${d}T00:00:00`));

  const timeSeries: ChartSeries[] = [
    { name: t('analytics.charts.median'), look: 'solid' },
    { name: t('analytics.charts.p90'), look: 'hatched' },
  ];
  const volumeSeries: ChartSeries[] = [
    { name: t('analytics.charts.threads'), look: 'solid' },
    { name: t('analytics.charts.answered'), look: 'hatched' },
  ];
  const slaSeries: ChartSeries[] = [{ name: t('analytics.charts.onTime'), look: 'solid' }];

  return (
    <Layout title={t('analytics.title')}>
      <div className="insights">
        <h1 tabIndex={-1}>{t('analytics.title')}</h1>
        <p className="insights__intro">{t('analytics.intro')}</p>

        <form className="insights-filters" onSubmit={onSubmit} noValidate aria-describedby={formError ? `${ids}-form-error` : undefined}>
          <fieldset>
            <legend>{t('analytics.form.legend')}</legend>
            <p className="hint" id={`${ids}-range-hint`}>
              {t('analytics.form.rangeHint')}
            </p>
            <div className="insights-filters__grid">
              <div className="field">
                <label htmlFor={`${ids}-from`}>{t('analytics.form.from')}</label>
                <input
                  id={`${ids}-from`}
                  ref={(el) => void (fieldRefs.current.from = el)}
                  type="date"
                  value={form.from}
                  max={form.to || undefined}
                  onChange={(e) => setForm({ ...form, from: e.target.value })}
                  aria-invalid={errors.from ? true : undefined}
                  aria-describedby={[`${ids}-range-hint`, err('from')].filter(Boolean).join(' ')}
                />
                {errors.from && (
                  <p className="field-error" id={err('from')}>
                    {errors.from}
                  </p>
                )}
              </div>
              <div className="field">
                <label htmlFor={`${ids}-to`}>{t('analytics.form.to')}</label>
                <input
                  id={`${ids}-to`}
                  ref={(el) => void (fieldRefs.current.to = el)}
                  type="date"
                  value={form.to}
                  onChange={(e) => setForm({ ...form, to: e.target.value })}
                  aria-invalid={errors.to ? true : undefined}
                  aria-describedby={[`${ids}-range-hint`, err('to')].filter(Boolean).join(' ')}
                />
                {errors.to && (
                  <p className="field-error" id={err('to')}>
                    {errors.to}
                  </p>
                )}
              </div>
              <div className="field">
                <label htmlFor={`${ids}-group`}>{t('analytics.form.groupBy')}</label>
                <select
                  id={`${ids}-group`}
                  ref={(el) => void (fieldRefs.current.groupBy = el)}
                  className="select"
                  value={form.groupBy}
                  onChange={(e) => setForm({ ...form, groupBy: e.target.value as GroupBy })}
                  aria-invalid={errors.groupBy ? true : undefined}
                  aria-describedby={err('groupBy')}
                >
                  {GROUPS.map((g) => (
                    <option key={g} value={g}>
                      {t(`analytics.groupBy.${g}`)}
                    </option>
                  ))}
                </select>
                {errors.groupBy && (
                  <p className="field-error" id={err('groupBy')}>
                    {errors.groupBy}
                  </p>
                )}
              </div>
              {form.groupBy === 'period' && (
                <div className="field">
                  <label htmlFor={`${ids}-period`}>{t('analytics.form.period')}</label>
                  <select
                    id={`${ids}-period`}
                    ref={(el) => void (fieldRefs.current.period = el)}
                    className="select"
                    value={form.period}
                    onChange={(e) => setForm({ ...form, period: e.target.value as Period })}
                    aria-invalid={errors.period ? true : undefined}
                    aria-describedby={err('period')}
                  >
                    {PERIODS.map((p) => (
                      <option key={p} value={p}>
                        {t(`analytics.period.${p}`)}
                      </option>
                    ))}
                  </select>
                  {errors.period && (
                    <p className="field-error" id={err('period')}>
                      {errors.period}
                    </p>
                  )}
                </div>
              )}
            </div>
            <div className="insights-filters__actions">
              <button type="submit" className="button" disabled={loading}>
                {loading ? t('analytics.form.loading') : t('analytics.form.show')}
              </button>
              <div className="insights-filters__quick" role="group" aria-label={t('analytics.form.quickRanges')}>
                {[7, 30, 90].map((d) => (
                  <button key={d} type="button" className="button button--secondary button--small" disabled={loading} onClick={() => quick(d)}>
                    {t(`analytics.form.last${d}` as 'analytics.form.last7')}
                  </button>
                ))}
              </div>
            </div>
            {formError && (
              <p className="form-error" id={`${ids}-form-error`} role="alert">
                {formError}
              </p>
            )}
          </fieldset>
        </form>

        <p className="visually-hidden" role="status">
          {loading ? t('analytics.form.loading') : ''}
        </p>

        {!shown && loading && <p className="insights__loading">{t('analytics.form.loading')}</p>}

        {shown && report && (
          <div className={loading ? 'insights__results insights__results--stale' : 'insights__results'} aria-busy={loading}>
            <section aria-labelledby={`${ids}-summary`}>
              <h2 id={`${ids}-summary`}>{t('analytics.summary.title')}</h2>
              <dl className="insights-summary" data-testid="analytics-summary">
                <div>
                  <dt>{t('analytics.summary.threads')}</dt>
                  <dd>{num(sum(rows, (r) => r.threads))}</dd>
                </div>
                <div>
                  <dt>{t('analytics.summary.answered')}</dt>
                  <dd>{num(sum(rows, (r) => r.answered))}</dd>
                </div>
                <div>
                  <dt>{t('analytics.summary.responses')}</dt>
                  <dd>{num(responses)}</dd>
                </div>
                <div>
                  <dt>{t('analytics.summary.onTime')}</dt>
                  <dd>{responses > 0 ? percent((responses - late) / responses) : dash}</dd>
                </div>
                <div>
                  <dt>{t('analytics.summary.offHours')}</dt>
                  <dd>{num(sum(rows, (r) => r.offHoursMessages))}</dd>
                </div>
                <div>
                  <dt>{t('analytics.summary.crisis')}</dt>
                  <dd>{num(sum(rows, (r) => r.crisisAlerts))}</dd>
                </div>
              </dl>
              <div className="insights__download">
                <button type="button" className="button button--secondary" onClick={() => void downloadCsv()} disabled={download.state === 'busy'}>
                  {download.state === 'busy' ? t('analytics.csv.downloading') : t('analytics.csv.download')}
                </button>
                <p role="status" className={download.state === 'failed' ? 'form-error' : 'hint'}>
                  {download.state === 'done' && download.name ? t('analytics.csv.downloaded', { name: download.name }) : download.state === 'failed' ? t('analytics.errors.downloadFailed') : ''}
                </p>
              </div>
            </section>

            {rows.length === 0 ? (
              <p className="notice">{t('analytics.empty')}</p>
            ) : (
              <>
                <section aria-labelledby={`${ids}-c1`} className="insights-chart">
                  <h2 id={`${ids}-c1`}>{t('analytics.charts.firstResponse')}</h2>
                  <p className="hint">
                    {t('analytics.charts.firstResponseDesc')} {t('analytics.charts.tableNote')}
                  </p>
                  <ChartLegend series={timeSeries} />
                  <BarChart
                    title={t('analytics.charts.firstResponse')}
                    describedBy={tableId}
                    series={timeSeries}
                    rows={labelled.map(({ row, label }) => ({ label, values: [row.firstResponse.medianMinutes, row.firstResponse.p90Minutes] }))}
                    format={minutes}
                    barTitle={barTitle}
                    noValue={t('analytics.charts.noValue')}
                  />
                </section>
                <section aria-labelledby={`${ids}-c2`} className="insights-chart">
                  <h2 id={`${ids}-c2`}>{t('analytics.charts.volume')}</h2>
                  <p className="hint">
                    {t('analytics.charts.volumeDesc')} {t('analytics.charts.tableNote')}
                  </p>
                  <ChartLegend series={volumeSeries} />
                  <BarChart
                    title={t('analytics.charts.volume')}
                    describedBy={tableId}
                    series={volumeSeries}
                    rows={labelled.map(({ row, label }) => ({ label, values: [row.threads, row.answered] }))}
                    format={num}
                    barTitle={barTitle}
                    noValue={t('analytics.charts.noValue')}
                  />
                </section>
                <section aria-labelledby={`${ids}-c3`} className="insights-chart">
                  <h2 id={`${ids}-c3`}>{t('analytics.charts.sla')}</h2>
                  <p className="hint">
                    {t('analytics.charts.slaDesc')} {t('analytics.charts.tableNote')}
                  </p>
                  <BarChart
                    title={t('analytics.charts.sla')}
                    describedBy={tableId}
                    series={slaSeries}
                    rows={labelled.map(({ row, label }) => ({ label, values: [row.slaAdherence] }))}
                    max={1}
                    format={percent}
                    barTitle={barTitle}
                    noValue={t('analytics.charts.noValue')}
                  />
                </section>

                <div className="table-scroll" role="region" aria-labelledby={`${tableId}-caption`} tabIndex={0}>
                  <table className="data-table" id={tableId} data-testid="analytics-table">
                    <caption id={`${tableId}-caption`}>
                      {t('analytics.table.caption', { from: dateText(shown.query.from), to: dateText(shown.query.to), groupBy: t(`analytics.groupBy.${shown.query.groupBy}`) })}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">{t('analytics.table.group')}</th>
                        <th scope="col">{t('analytics.table.threads')}</th>
                        <th scope="col">{t('analytics.table.answered')}</th>
                        <th scope="col">{t('analytics.table.firstMedian')}</th>
                        <th scope="col">{t('analytics.table.firstP90')}</th>
                        <th scope="col">{t('analytics.table.resolutionMedian')}</th>
                        <th scope="col">{t('analytics.table.resolutionP90')}</th>
                        <th scope="col">{t('analytics.table.responses')}</th>
                        <th scope="col">{t('analytics.table.late')}</th>
                        <th scope="col">{t('analytics.table.sla')}</th>
                        <th scope="col">{t('analytics.table.offHours')}</th>
                        <th scope="col">{t('analytics.table.crisis')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {labelled.map(({ row, label }) => (
                        <tr key={row.key}>
                          <th scope="row">{label}</th>
                          <td>{num(row.threads)}</td>
                          <td>{num(row.answered)}</td>
                          <td>{cell(row.firstResponse.medianMinutes)}</td>
                          <td>{cell(row.firstResponse.p90Minutes)}</td>
                          <td>{cell(row.resolution.medianMinutes)}</td>
                          <td>{cell(row.resolution.p90Minutes)}</td>
                          <td>{num(row.responses)}</td>
                          <td>{num(row.lateResponses)}</td>
                          <td>{cell(row.slaAdherence, percent)}</td>
                          <td>{num(row.offHoursMessages)}</td>
                          <td>{num(row.crisisAlerts)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </div>
        )}
      </div>
    </Layout>
  );
}
