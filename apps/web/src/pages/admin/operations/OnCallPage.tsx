import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Department, StaffStatus } from '@haven/api';
import { useEvents } from '../../../hooks/useEvents.js';
import { api } from '../../../lib/api.js';
import { ConfirmAction, DepartmentSelect, errorAt, FieldError, formatRange, fromLocalInput, invalidProps, LoadState, OpsFrame, SaveOutcome, useDepartments, useLoad, useSave, useStaff, focusById, TimeRangeFields } from './common.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const LIST_DAYS = 28;

/** On call: who is on call now, the shifts of the next four weeks, schedule a shift, remove one (asked first). Live. */
export default function OnCallPage() {
  const { t, i18n } = useTranslation();
  const departments = useDepartments();
  const staff = useStaff();
  const [departmentId, setDepartmentId] = useState('');
  const query = departmentId ? { departmentId } : {};
  const current = useLoad(() => api.call('onCall.current', { query }), [departmentId]);
  const shifts = useLoad(() => {
    const from = new Date();
    return api.call('onCall.shifts.list', { query: { ...query, from: from.toISOString(), to: new Date(from.getTime() + LIST_DAYS * DAY_MS).toISOString() } }).then((r) => r.items);
  }, [departmentId]);
  const reload = () => {
    current.reload();
    shifts.reload();
  };
  useEvents((e) => {
    if (e.type === 'availability.changed' && e.availability?.scope === 'on_call') reload();
  });
  // Shifts start and end while the page is open: "now" is asked again every minute.
  useEffect(() => {
    const timer = setInterval(current.reload, 60_000);
    return () => clearInterval(timer);
  }, [current.reload]);
  const [removeProblem, setRemoveProblem] = useState<string | null>(null);
  const name = (id: string) => staff.data?.find((s) => s.userId === id)?.name ?? t('operations.availability.someone');
  const deptName = (id: string | null) => (id ? (departments.data?.find((d) => d.id === id)?.name ?? '') : t('operations.onCall.wholePractice'));

  return (
    <OpsFrame who="admin" title={t('operations.onCall.title')} intro={t('operations.onCall.intro')}>
      {departments.data && departments.data.length > 0 && (
        <DepartmentSelect id="oncall-filter" label={t('operations.onCall.show')} value={departmentId} onChange={setDepartmentId} departments={departments.data} allLabel={t('operations.onCall.wholePractice')} />
      )}
      <section className="ops__section ops__now" aria-labelledby="oncall-now-title" data-testid="on-call-now">
        <h2 id="oncall-now-title">{t('operations.onCall.nowTitle')}</h2>
        <LoadState loaded={current} />
        {current.data && current.data.items.length === 0 && <p>{t('operations.onCall.nobodyNow')}</p>}
        {current.data && current.data.fallback && <p className="hint">{t('operations.onCall.fallback')}</p>}
        {current.data && current.data.items.length > 0 && (
          <ul className="ops__list">
            {current.data.items.map((c) => (
              <li key={c.shiftId} className="ops__item">
                <div>
                  <p className="ops__item-title">{c.name}</p>
                  <p>
                    {deptName(c.departmentId)} · {t('operations.onCall.until', { when: new Intl.DateTimeFormat(i18n.language, { weekday: 'short', hour: 'numeric', minute: '2-digit' }).format(new Date(c.endsAt)) })}
                  </p>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="ops__section" aria-labelledby="oncall-list-title">
        <h2 id="oncall-list-title" tabIndex={-1}>{t('operations.onCall.listTitle', { days: LIST_DAYS })}</h2>
        <LoadState loaded={shifts} />
        {shifts.data && shifts.data.length === 0 && <p>{t('operations.onCall.empty')}</p>}
        {removeProblem && (
          <p className="form-error" role="alert">
            {removeProblem}
          </p>
        )}
        {shifts.data && shifts.data.length > 0 && (
          <ul className="ops__list" data-testid="shift-list">
            {shifts.data.map((s) => (
              <li key={s.id} className="ops__item" data-testid="shift">
                <div>
                  <p className="ops__item-title">{name(s.userId)}</p>
                  <p>{formatRange(s.startsAt, s.endsAt, i18n.language)}</p>
                  <p className="hint">{deptName(s.departmentId)}</p>
                </div>
                <ConfirmAction
                  label={t('operations.onCall.remove', { name: name(s.userId) })}
                  shortLabel={t('operations.removeShort')}
                  question={t('operations.onCall.removeQuestion', { name: name(s.userId) })}
                  confirmLabel={t('operations.onCall.removeConfirm')}
                  onConfirm={async () => {
                    setRemoveProblem(null);
                    try {
                      await api.call('onCall.shifts.delete', { params: { shiftId: s.id } });
                      reload();
                      focusById('oncall-list-title');
                    } catch {
                      setRemoveProblem(t('operations.onCall.removeFailed'));
                    }
                  }}
                />
              </li>
            ))}
          </ul>
        )}
      </section>
      <AddShift staff={staff.data ?? []} departments={departments.data ?? []} onAdded={reload} />
    </OpsFrame>
  );
}

function AddShift({ staff, departments, onAdded }: { staff: StaffStatus[]; departments: Department[]; onAdded(): void }) {
  const { t } = useTranslation();
  const [userId, setUserId] = useState('');
  const [departmentId, setDepartmentId] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const save = useSave();
  const personError = errorAt(save.problem, '/userId');
  const fromError = errorAt(save.problem, '/startsAt');
  const untilError = errorAt(save.problem, '/endsAt');
  return (
    <section className="ops__section" aria-labelledby="oncall-add-title">
      <h2 id="oncall-add-title">{t('operations.onCall.addTitle')}</h2>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save
            .run(() => api.call('onCall.shifts.create', { body: { userId, startsAt: fromLocalInput(from), endsAt: fromLocalInput(until), departmentId: departmentId || null } }))
            .then((ok) => {
              if (!ok) return;
              setFrom('');
              setUntil('');
              onAdded();
            });
        }}
      >
        <div className="field">
          <label htmlFor="shift-person">{t('operations.onCall.person')}</label>
          <select id="shift-person" className="ops__select" value={userId} onChange={(e) => setUserId(e.target.value)} {...invalidProps(personError, 'shift-person-error')}>
            <option value="">{t('operations.onCall.choosePerson')}</option>
            {staff.map((s) => (
              <option key={s.userId} value={s.userId}>
                {s.name}
              </option>
            ))}
          </select>
          <FieldError id="shift-person-error" message={personError} />
        </div>
        {departments.length > 0 && (
          <DepartmentSelect id="shift-department" label={t('operations.onCall.department')} hint={t('operations.onCall.departmentHint')} value={departmentId} onChange={setDepartmentId} departments={departments} allLabel={t('operations.onCall.wholePractice')} />
        )}
        <TimeRangeFields idPrefix="shift" fromLabel={t('operations.onCall.from')} untilLabel={t('operations.onCall.until2')} from={from} until={until} setFrom={setFrom} setUntil={setUntil} fromError={fromError} untilError={untilError} />
        <div className="ops__actions">
          <button type="submit" className="button" disabled={save.busy}>
            {save.busy ? t('operations.saving') : t('operations.onCall.add')}
          </button>
          <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => ['/userId', '/startsAt', '/endsAt'].includes(p)} />
        </div>
      </form>
    </section>
  );
}
