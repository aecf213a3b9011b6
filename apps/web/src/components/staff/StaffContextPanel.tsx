import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { CareTeam, OperationOutput, Thread } from '@haven/api';
import { useEvents } from '../../hooks/useEvents.js';
import { api } from '../../lib/api.js';
import { formatWhen } from '../../lib/format.js';
import { nameOf, useColleagues, type Colleague } from './colleagues.js';
import { ChartNotes } from './ChartNotes.js';
import { HealthSummary } from './HealthSummary.js';
import { WorkflowControls } from './WorkflowControls.js';
import '../../styles/staff.css';

type Patient = OperationOutput<'patients.get'>;

/**
 * Staff, beside a thread: the patient's context (profile, care team, other conversations and consults, recent health
 * data with its signals, chart notes) and the workflow actions beyond "assign to me" and "close" (reassign, escalate,
 * priority). For an internal conversation: who takes part and the patient conversation it is about. On a narrow
 * screen (a tablet) it folds behind a button.
 */
export function StaffContextPanel({ thread, me }: { thread: Thread; me: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const colleagues = useColleagues();
  return (
    <section className={open ? 'staff-panel staff-panel--open' : 'staff-panel'} aria-labelledby="staff-panel-title" data-testid="context-panel">
      <h2 id="staff-panel-title" className="staff-panel__title">
        {thread.kind === 'internal' ? t('staffThread.panel.internalTitle') : t('staffThread.panel.title')}
      </h2>
      <button type="button" className="button button--secondary staff-panel__toggle" aria-expanded={open} aria-controls="staff-panel-body" onClick={() => setOpen((o) => !o)}>
        {open ? t('staffThread.panel.hide') : t('staffThread.panel.show')}
      </button>
      <div id="staff-panel-body" className="staff-panel__body">
        {thread.kind === 'internal' ? <InternalContext thread={thread} colleagues={colleagues} /> : <PatientContext thread={thread} me={me} colleagues={colleagues} />}
      </div>
    </section>
  );
}

function InternalContext({ thread, colleagues }: { thread: Thread; colleagues: Colleague[] | null }) {
  const { t } = useTranslation();
  return (
    <>
      <h3>{t('internal.participants')}</h3>
      <ul className="staff-panel__list">
        {thread.participantIds.map((id) => (
          <li key={id}>{nameOf(colleagues, id, t('staffThread.colleague'))}</li>
        ))}
      </ul>
      <p className="hint">{t('internal.neverPatient')}</p>
      {thread.linkedThreadId && (
        <p>
          <Link to={`/staff/threads/${thread.linkedThreadId}`}>{t('internal.openLinked')}</Link>
        </p>
      )}
    </>
  );
}

function PatientContext({ thread, me, colleagues }: { thread: Thread; me: string; colleagues: Colleague[] | null }) {
  const { t, i18n } = useTranslation();
  const lng = i18n.resolvedLanguage ?? 'en';
  const patientId = thread.patientId ?? '';
  const [patient, setPatient] = useState<Patient | null>(null);
  const [teams, setTeams] = useState<CareTeam[] | null>(null);
  const [others, setOthers] = useState<Thread[] | null>(null);
  const [consults, setConsults] = useState<Thread[] | null>(null);
  const [failed, setFailed] = useState(false);

  const loadThreads = useCallback(() => {
    api.call('threads.list', { query: { patientId, kind: 'patient', limit: 20 } }).then(
      (r) => setOthers(r.items.filter((x) => x.id !== thread.id)),
      () => setOthers([]),
    );
    api.call('threads.consults', { params: { threadId: thread.id } }).then(
      (r) => setConsults(r.items),
      () => setConsults([]),
    );
  }, [patientId, thread.id]);

  useEffect(() => {
    if (!patientId) return;
    setFailed(false);
    api.call('patients.get', { params: { id: patientId } }).then(setPatient, () => setFailed(true));
    api.call('careTeams.list').then(
      (r) => setTeams(r.items),
      () => setTeams([]),
    );
    loadThreads();
  }, [patientId, loadThreads]);
  useEvents((e) => {
    if ((e.type === 'thread.created' && e.thread?.patientId === patientId) || (e.type === 'thread.created' && e.thread?.kind === 'internal')) loadThreads();
  });

  const myTeams = teams?.filter((x) => patient?.careTeamIds.includes(x.id)) ?? [];
  return (
    <>
      {failed && (
        <p className="field-error" role="alert">
          {t('app.errorGeneric')}
        </p>
      )}
      <WorkflowControls thread={thread} me={me} colleagues={colleagues} />

      <h3>{t('staffThread.profile.title')}</h3>
      {patient ? (
        <dl className="staff-panel__facts" data-testid="patient-profile">
          <dt>{t('staffThread.profile.name')}</dt>
          <dd>{patient.name}</dd>
          {patient.dateOfBirth && (
            <>
              <dt>{t('staffThread.profile.dateOfBirth')}</dt>
              <dd>{patient.dateOfBirth}</dd>
            </>
          )}
          {patient.mrn && (
            <>
              <dt>{t('staffThread.profile.mrn')}</dt>
              <dd>{patient.mrn}</dd>
            </>
          )}
          {patient.phone && (
            <>
              <dt>{t('staffThread.profile.phone')}</dt>
              <dd>{patient.phone}</dd>
            </>
          )}
          <dt>{t('staffThread.profile.email')}</dt>
          <dd>{patient.email}</dd>
          {patient.archivedAt && (
            <>
              <dt>{t('staffThread.profile.archived')}</dt>
              <dd>{formatWhen(patient.archivedAt, lng)}</dd>
            </>
          )}
        </dl>
      ) : (
        !failed && <p>{t('app.loading')}</p>
      )}

      <h3>{t('staffThread.careTeam.title')}</h3>
      {teams === null || !patient ? (
        <p>{t('app.loading')}</p>
      ) : myTeams.length === 0 ? (
        <p>{t('staffThread.careTeam.none')}</p>
      ) : (
        <ul className="staff-panel__list" data-testid="care-team">
          {myTeams.map((team) => (
            <li key={team.id}>
              <strong>{team.name}</strong>
              {team.memberIds.length > 0 && <span>: {team.memberIds.map((id) => nameOf(colleagues, id, t('staffThread.colleague'))).join(', ')}</span>}
            </li>
          ))}
        </ul>
      )}

      <h3>{t('staffThread.others.title')}</h3>
      {others === null ? (
        <p>{t('app.loading')}</p>
      ) : others.length === 0 ? (
        <p>{t('staffThread.others.none')}</p>
      ) : (
        <ul className="staff-panel__list" data-testid="other-threads">
          {others.map((x) => (
            <li key={x.id}>
              <Link to={`/staff/threads/${x.id}`}>{x.subject}</Link>
              {x.workflow && <span className="hint"> · {t(`inbox.state.${x.workflow.state}`)}</span>}
            </li>
          ))}
        </ul>
      )}

      <h3>{t('staffThread.consults.title')}</h3>
      {consults && consults.length > 0 && (
        <ul className="staff-panel__list">
          {consults.map((x) => (
            <li key={x.id}>
              <Link to={`/staff/threads/${x.id}`}>{x.subject}</Link>
            </li>
          ))}
        </ul>
      )}
      {consults?.length === 0 && <p>{t('staffThread.consults.none')}</p>}
      <p>
        <Link to={`/staff/internal?about=${thread.id}`}>{t('staffThread.consults.start')}</Link>
      </p>

      {patientId && <HealthSummary patientId={patientId} />}
      {patientId && <ChartNotes patientId={patientId} colleagues={colleagues} currentThreadId={thread.id} />}
    </>
  );
}
