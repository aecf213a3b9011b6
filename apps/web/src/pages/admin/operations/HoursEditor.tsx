import { useTranslation } from 'react-i18next';
import type { HoursInterval, WeeklyHours } from '@haven/api';
import { errorAt, FieldError, invalidProps, type Problem } from './common.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

export const CLOSED_WEEK: WeeklyHours = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };

const overnight = (h: HoursInterval): boolean => h.end === '24:00' || (h.start !== h.end && h.end <= h.start);

/** Whether an API error path is one of the fields of an hours editor at `base` (e.g. /weeklyHours). */
export const isHoursPath = (base: string, path: string): boolean => path.startsWith(`${base}/`);

/**
 * The intervals of one day (or of a holiday with special hours): "from" and "to" times, add and remove; no
 * intervals means closed. An end at or before the start runs overnight (the API's rule, said in the hint).
 */
export function DayIntervals({ id, legend, intervals, onChange, problem, path, disabled }: { id: string; legend: string; intervals: HoursInterval[]; onChange(v: HoursInterval[]): void; problem: Problem | null; path: string; disabled?: boolean }) {
  const { t } = useTranslation();
  const dayError = errorAt(problem, path);
  const set = (i: number, part: Partial<HoursInterval>) => onChange(intervals.map((h, j) => (j === i ? { ...h, ...part } : h)));
  return (
    <fieldset className="hours-day" data-testid={`hours-${id}`} disabled={disabled}>
      <legend>{legend}</legend>
      {intervals.length === 0 && <p className="hours-day__closed">{t('operations.hours.closed')}</p>}
      <ul className="hours-day__list">
        {intervals.map((h, i) => {
          const startError = errorAt(problem, `${path}/${i}/start`);
          const endError = errorAt(problem, `${path}/${i}/end`);
          const rowError = errorAt(problem, `${path}/${i}`);
          return (
            <li key={i} className="hours-day__row">
              <div className="field hours-day__time">
                <label htmlFor={`${id}-${i}-start`}>{t('operations.hours.from', { n: i + 1 })}</label>
                <input id={`${id}-${i}-start`} type="time" value={h.start} onChange={(e) => set(i, { start: e.target.value })} {...invalidProps(startError ?? rowError, `${id}-${i}-error`)} />
              </div>
              <div className="field hours-day__time">
                <label htmlFor={`${id}-${i}-end`}>{t('operations.hours.to', { n: i + 1 })}</label>
                <input id={`${id}-${i}-end`} type="time" value={h.end === '24:00' ? '00:00' : h.end} onChange={(e) => set(i, { end: e.target.value })} {...invalidProps(endError ?? rowError, `${id}-${i}-error`)} />
              </div>
              <button type="button" className="button button--small button--secondary" onClick={() => onChange(intervals.filter((_, j) => j !== i))}>
                {t('operations.hours.remove', { n: i + 1 })}
                <span className="visually-hidden"> ({legend})</span>
              </button>
              {overnight(h) && <p className="hint hours-day__note">{h.end === '24:00' || h.end === '00:00' ? t('operations.hours.untilMidnight') : t('operations.hours.overnight')}</p>}
              <FieldError id={`${id}-${i}-error`} message={[startError, endError, rowError].filter(Boolean).join('; ') || null} />
            </li>
          );
        })}
      </ul>
      <button
        type="button"
        className="button button--small button--secondary"
        disabled={intervals.length >= 8}
        onClick={() => onChange([...intervals, intervals.length === 0 ? { start: '09:00', end: '17:00' } : { start: '13:00', end: '17:00' }])}
      >
        {t('operations.hours.add')}
        <span className="visually-hidden"> ({legend})</span>
      </button>
      <FieldError id={`${id}-error`} message={dayError} />
    </fieldset>
  );
}

/** A weekly schedule: one `DayIntervals` per day, Monday first, with "copy Monday to weekdays". */
export function WeeklyHoursEditor({ id, value, onChange, problem, path, disabled }: { id: string; value: WeeklyHours; onChange(v: WeeklyHours): void; problem: Problem | null; path: string; disabled?: boolean }) {
  const { t } = useTranslation();
  return (
    <div className="hours-week">
      <p className="hint">{t('operations.hours.overnightHint')}</p>
      <button
        type="button"
        className="button button--small button--secondary hours-week__copy"
        disabled={disabled}
        onClick={() => onChange({ ...value, tue: value.mon, wed: value.mon, thu: value.mon, fri: value.mon })}
      >
        {t('operations.hours.copyMonday')}
      </button>
      <div className="hours-week__days">
      {DAYS.map((day) => (
        <DayIntervals
          key={day}
          id={`${id}-${day}`}
          legend={t(`operations.days.${day}`)}
          intervals={value[day]}
          onChange={(v) => onChange({ ...value, [day]: v })}
          problem={problem}
          path={`${path}/${day}`}
          disabled={disabled}
        />
      ))}
      </div>
    </div>
  );
}
