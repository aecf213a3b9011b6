import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { HoursInterval } from '@haven/api';
import { useEvents } from '../../../hooks/useEvents.js';
import { api } from '../../../lib/api.js';
import { ConfirmAction, DepartmentSelect, errorAt, FieldError, formatDate, invalidProps, LoadState, OpsFrame, SaveOutcome, useDepartments, useLoad, useSave, focusById } from './common.js';
import { DayIntervals, isHoursPath } from './HoursEditor.js';

/** Holidays and special hours: the list (the practice's, or a department's), add, remove (asked first). */
export default function HolidaysPage() {
  const { t, i18n } = useTranslation();
  const departments = useDepartments();
  const [filter, setFilter] = useState('');
  const holidays = useLoad(() => api.call('availability.holidays.list', { query: filter ? { departmentId: filter } : {} }).then((r) => r.items), [filter]);
  useEvents((e) => {
    if (e.type === 'availability.changed' && e.availability?.scope === 'holidays') holidays.reload();
  });
  const [removeProblem, setRemoveProblem] = useState<string | null>(null);
  const deptName = (id: string | null) => (id ? (departments.data?.find((d) => d.id === id)?.name ?? '') : t('operations.holidays.wholePractice'));

  return (
    <OpsFrame who="admin" title={t('operations.holidays.title')} intro={t('operations.holidays.intro')}>
      <section className="ops__section" aria-labelledby="holiday-list-title">
        <h2 id="holiday-list-title" tabIndex={-1}>{t('operations.holidays.listTitle')}</h2>
        {departments.data && departments.data.length > 0 && (
          <DepartmentSelect id="holiday-filter" label={t('operations.holidays.show')} value={filter} onChange={setFilter} departments={departments.data} allLabel={t('operations.holidays.wholePractice')} />
        )}
        <LoadState loaded={holidays} />
        {holidays.data && holidays.data.length === 0 && <p>{t('operations.holidays.empty')}</p>}
        {removeProblem && (
          <p className="form-error" role="alert">
            {removeProblem}
          </p>
        )}
        {holidays.data && holidays.data.length > 0 && (
          <ul className="ops__list" data-testid="holiday-list">
            {holidays.data.map((h) => (
              <li key={h.id} className="ops__item" data-testid="holiday">
                <div>
                  <p className="ops__item-title">{h.name}</p>
                  <p>{formatDate(h.date, i18n.language)}</p>
                  <p className="hint">
                    {deptName(h.departmentId)} · {h.hours.length === 0 ? t('operations.holidays.closedAllDay') : t('operations.holidays.specialHours', { hours: h.hours.map((x) => `${x.start}–${x.end}`).join(', ') })}
                  </p>
                </div>
                <ConfirmAction
                  label={t('operations.holidays.remove', { name: h.name })}
                  shortLabel={t('operations.removeShort')}
                  question={t('operations.holidays.removeQuestion', { name: h.name })}
                  confirmLabel={t('operations.holidays.removeConfirm')}
                  onConfirm={async () => {
                    setRemoveProblem(null);
                    try {
                      await api.call('availability.holidays.delete', { params: { holidayId: h.id } });
                      holidays.reload();
                      focusById('holiday-list-title');
                    } catch {
                      setRemoveProblem(t('operations.holidays.removeFailed'));
                    }
                  }}
                />
              </li>
            ))}
          </ul>
        )}
      </section>
      <AddHoliday departments={departments.data ?? []} onAdded={holidays.reload} />
    </OpsFrame>
  );
}

function AddHoliday({ departments, onAdded }: { departments: { id: string; name: string; createdAt: string }[]; onAdded(): void }) {
  const { t } = useTranslation();
  const [date, setDate] = useState('');
  const [name, setName] = useState('');
  const [departmentId, setDepartmentId] = useState('');
  const [special, setSpecial] = useState(false);
  const [hours, setHours] = useState<HoursInterval[]>([{ start: '09:00', end: '12:00' }]);
  const save = useSave();
  const dateError = errorAt(save.problem, '/date');
  const nameError = errorAt(save.problem, '/name');

  return (
    <section className="ops__section" aria-labelledby="holiday-add-title">
      <h2 id="holiday-add-title">{t('operations.holidays.addTitle')}</h2>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save
            .run(() => api.call('availability.holidays.create', { body: { date, name: name.trim(), hours: special ? hours : [], ...(departmentId ? { departmentId } : {}) } }))
            .then((ok) => {
              if (!ok) return;
              setName('');
              setDate('');
              onAdded();
            });
        }}
      >
        <div className="field">
          <label htmlFor="holiday-date">{t('operations.holidays.date')}</label>
          <input id="holiday-date" type="date" value={date} onChange={(e) => setDate(e.target.value)} {...invalidProps(dateError, 'holiday-date-error')} />
          <FieldError id="holiday-date-error" message={dateError} />
        </div>
        <div className="field">
          <label htmlFor="holiday-name">{t('operations.holidays.name')}</label>
          <p className="hint" id="holiday-name-hint">
            {t('operations.holidays.nameHint')}
          </p>
          <input id="holiday-name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} {...invalidProps(nameError, 'holiday-name-error', 'holiday-name-hint')} />
          <FieldError id="holiday-name-error" message={nameError} />
        </div>
        {departments.length > 0 && (
          <DepartmentSelect id="holiday-department" label={t('operations.holidays.appliesTo')} value={departmentId} onChange={setDepartmentId} departments={departments} allLabel={t('operations.holidays.wholePractice')} />
        )}
        <fieldset className="ops__choice">
          <legend>{t('operations.holidays.kind')}</legend>
          <div className="ops__check">
            <input id="holiday-closed" type="radio" name="holiday-kind" checked={!special} onChange={() => setSpecial(false)} />
            <label htmlFor="holiday-closed">{t('operations.holidays.closedAllDay')}</label>
          </div>
          <div className="ops__check">
            <input id="holiday-special" type="radio" name="holiday-kind" checked={special} onChange={() => setSpecial(true)} />
            <label htmlFor="holiday-special">{t('operations.holidays.special')}</label>
          </div>
        </fieldset>
        {special && <DayIntervals id="holiday-hours" legend={t('operations.holidays.hoursThatDay')} intervals={hours} onChange={setHours} problem={save.problem} path="/hours" />}
        <div className="ops__actions">
          <button type="submit" className="button" disabled={save.busy}>
            {save.busy ? t('operations.saving') : t('operations.holidays.add')}
          </button>
          <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => p === '/date' || p === '/name' || isHoursPath('/hours', p)} />
        </div>
      </form>
    </section>
  );
}
