import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { ChartNote } from '@haven/api';
import { useEvents } from '../../hooks/useEvents.js';
import { api } from '../../lib/api.js';
import { formatWhen } from '../../lib/format.js';
import { ApiProblem } from './ApiProblem.js';
import { nameOf, type Colleague } from './colleagues.js';

/**
 * The patient's chart notes (messages marked clinically relevant), newest first, live as colleagues mark and
 * un-mark them. Removing one asks first, in the page; the note leaves the timeline and stays in the record.
 */
export function ChartNotes({ patientId, colleagues, currentThreadId }: { patientId: string; colleagues: Colleague[] | null; currentThreadId: string }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const [notes, setNotes] = useState<ChartNote[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [removeError, setRemoveError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api.call('chartNotes.list', { params: { patientId }, query: { limit: 50 } }).then(
      (r) => {
        setNotes(r.items);
        setFailed(false);
      },
      () => setFailed(true),
    );
  }, [patientId]);
  useEffect(load, [load]);
  useEvents((e) => {
    if ((e.type === 'chart_note.created' || e.type === 'chart_note.removed') && e.chartNote?.patientId === patientId) load();
  });

  const remove = async (id: string) => {
    setBusy(true);
    setRemoveError(null);
    try {
      await api.call('chartNotes.remove', { params: { patientId, chartNoteId: id } });
      setConfirm(null);
      load();
    } catch (err) {
      setRemoveError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h3>{t('staffThread.chart.title')}</h3>
      {failed && (
        <p className="field-error" role="alert">
          {t('app.errorGeneric')}
        </p>
      )}
      {notes === null && !failed && <p>{t('app.loading')}</p>}
      {notes?.length === 0 && <p>{t('staffThread.chart.none')}</p>}
      {notes && notes.length > 0 && (
        <ul className="chart-notes" data-testid="chart-notes">
          {notes
            .filter((n) => !n.removedAt)
            .map((n) => (
              <li key={n.id} className="chart-note" data-testid="chart-note">
                {n.excerpt !== null && <blockquote className="chart-note__excerpt">{n.excerpt}</blockquote>}
                {n.comment && <p>{t('staffThread.chart.comment', { comment: n.comment })}</p>}
                <p className="hint">
                  {t('staffThread.chart.by', { name: nameOf(colleagues, n.createdBy, t('staffThread.colleague')), when: formatWhen(n.createdAt, lng) })}
                  {n.wholeMessage ? ` · ${t('staffThread.chart.whole')}` : ''}
                </p>
                {n.sourceRetracted && <p className="hint">{t('staffThread.chart.sourceRetracted')}</p>}
                {n.threadId !== currentThreadId && (
                  <p>
                    <Link to={`/staff/threads/${n.threadId}`}>{t('staffThread.chart.openSource')}</Link>
                  </p>
                )}
                {confirm === n.id ? (
                  <div role="group" aria-label={t('staffThread.chart.remove')} className="confirm">
                    <p>{t('staffThread.chart.removeConfirm')}</p>
                    <ApiProblem error={removeError} />
                    <div className="button-row">
                      <button type="button" className="button button--small button--danger" disabled={busy} onClick={() => void remove(n.id)}>
                        {t('staffThread.chart.removeYes')}
                      </button>
                      <button type="button" className="button button--small button--secondary" disabled={busy} onClick={() => setConfirm(null)}>
                        {t('staffThread.cancel')}
                      </button>
                    </div>
                  </div>
                ) : (
                  <button type="button" className="button button--small button--secondary" onClick={() => setConfirm(n.id)}>
                    {t('staffThread.chart.remove')}
                  </button>
                )}
              </li>
            ))}
        </ul>
      )}
    </>
  );
}
