import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ObservationContext, ObservationSignal } from '@haven/api';
import { api } from '../../lib/api.js';

const DAYS = 30;

/**
 * The patient's recent health data (the last 30 days) and the signals the API derives from it ("above 140 mmHg 4
 * days in a row", "higher than usual", "rising"), written from the signal's numbers in the reader's language.
 */
export function HealthSummary({ patientId }: { patientId: string }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [data, setData] = useState<ObservationContext | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    api.call('observations.list', { params: { patientId }, query: { days: DAYS, ...(timeZone ? { timeZone } : {}) } }).then(setData, () => setFailed(true));
  }, [patientId]);

  const num = (n: number | undefined) => (n === undefined ? '' : new Intl.NumberFormat(lng, { maximumFractionDigits: 1 }).format(n));
  const metric = (m: string) => t(`staffThread.health.metric.${m}`, { defaultValue: m.replace(/_/g, ' ') });
  const unitOf = (m: string) => data?.series.find((s) => s.metric === m)?.displayUnit ?? '';
  const signalText = (s: ObservationSignal): string => {
    const what = s.component === 'value' ? metric(s.metric) : `${metric(s.metric)} (${t(`staffThread.health.component.${s.component}`, { defaultValue: s.component })})`;
    const unit = unitOf(s.metric);
    const v = s.values;
    if (s.kind === 'streak') return t(`staffThread.health.streak.${s.direction === 'below' ? 'below' : 'above'}`, { what, threshold: num(v.threshold), unit, count: v.days ?? 0 });
    if (s.kind === 'vs_usual') return t(`staffThread.health.vsUsual.${s.direction === 'below' ? 'below' : 'above'}`, { what, recent: num(v.recent), usual: num(v.usual), unit });
    return t(`staffThread.health.trend.${s.direction === 'falling' ? 'falling' : 'rising'}`, { what, perWeek: num(v.perWeek === undefined ? undefined : Math.abs(v.perWeek)), unit });
  };

  return (
    <>
      <h3>{t('staffThread.health.title', { count: DAYS })}</h3>
      {failed && <p>{t('staffThread.health.unavailable')}</p>}
      {!failed && data === null && <p>{t('app.loading')}</p>}
      {data && data.series.length === 0 && <p>{t('staffThread.health.none')}</p>}
      {data && data.signals.length > 0 && (
        <ul className="staff-panel__list signals" data-testid="health-signals">
          {data.signals.map((s, i) => (
            <li key={`${s.metric}-${s.component}-${s.kind}-${i}`} className="signal">
              {signalText(s)}
            </li>
          ))}
        </ul>
      )}
      {data && data.series.length > 0 && (
        <ul className="staff-panel__list" data-testid="health-latest">
          {data.series.map((s) => {
            const o = s.observations[0];
            if (!o) return null;
            const value = o.components ? `${num(o.components.systolic)}/${num(o.components.diastolic)}` : num(o.value ?? undefined);
            return (
              <li key={s.metric}>
                {t('staffThread.health.latest', { what: metric(s.metric), value, unit: s.displayUnit, when: new Intl.DateTimeFormat(lng, { month: 'short', day: 'numeric' }).format(new Date(o.effectiveAt)) })}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
