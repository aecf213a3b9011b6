import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BusinessHours, WeeklyHours } from '@haven/api';
import { api } from '../../../lib/api.js';
import { DepartmentSelect, errorAt, LoadState, OpsFrame, SaveOutcome, TimeZoneField, useDepartments, useLoad, useSave } from './common.js';
import { isHoursPath, WeeklyHoursEditor } from './HoursEditor.js';

/** Business hours: the practice's time zone and weekly hours, and a department's own (or the practice's). */
export default function HoursPage() {
  const { t } = useTranslation();
  const departments = useDepartments();
  const [departmentId, setDepartmentId] = useState('');
  return (
    <OpsFrame who="admin" title={t('operations.hours.title')} intro={t('operations.hours.intro')}>
      <OrganizationHours />
      <section className="ops__section" aria-labelledby="dept-hours-title">
        <h2 id="dept-hours-title">{t('operations.hours.departmentTitle')}</h2>
        <p className="hint">{t('operations.hours.departmentIntro')}</p>
        <LoadState loaded={departments} />
        {departments.data && departments.data.length === 0 && <p>{t('operations.hours.noDepartments')}</p>}
        {departments.data && departments.data.length > 0 && (
          <>
            <DepartmentSelect
              id="hours-department"
              label={t('operations.hours.department')}
              value={departmentId}
              onChange={setDepartmentId}
              departments={departments.data}
              allLabel={t('operations.hours.chooseDepartment')}
            />
            {departmentId && <DepartmentHours key={departmentId} departmentId={departmentId} />}
          </>
        )}
      </section>
    </OpsFrame>
  );
}

function OrganizationHours() {
  const { t, i18n } = useTranslation();
  const loaded = useLoad(() => api.call('availability.hours.get'), []);
  const [timeZone, setTimeZone] = useState('');
  const [weekly, setWeekly] = useState<WeeklyHours | null>(null);
  const save = useSave();
  useEffect(() => {
    if (!loaded.data) return;
    setTimeZone(loaded.data.timeZone);
    setWeekly(loaded.data.weeklyHours);
  }, [loaded.data]);

  return (
    <section className="ops__section" aria-labelledby="org-hours-title">
      <h2 id="org-hours-title">{t('operations.hours.organizationTitle')}</h2>
      <LoadState loaded={loaded} />
      {loaded.data && weekly && (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save.run(async () => loaded.set(await api.call('availability.hours.update', { body: { timeZone: timeZone.trim(), weeklyHours: weekly } })));
          }}
        >
          <LastChanged hours={loaded.data} lng={i18n.language} />
          <TimeZoneField id="org-tz" label={t('operations.hours.timeZone')} hint={t('operations.hours.timeZoneHint')} value={timeZone} onChange={setTimeZone} error={errorAt(save.problem, '/timeZone')} />
          <WeeklyHoursEditor id="org-hours" value={weekly} onChange={setWeekly} problem={save.problem} path="/weeklyHours" />
          <div className="ops__actions">
            <button type="submit" className="button" disabled={save.busy}>
              {save.busy ? t('operations.saving') : t('operations.hours.save')}
            </button>
            <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => p === '/timeZone' || isHoursPath('/weeklyHours', p)} />
          </div>
        </form>
      )}
    </section>
  );
}

function LastChanged({ hours, lng }: { hours: BusinessHours; lng: string }) {
  const { t } = useTranslation();
  if (!hours.updatedAt) return <p className="hint">{t('operations.hours.defaults')}</p>;
  return <p className="hint">{t('operations.hours.updatedAt', { when: new Intl.DateTimeFormat(lng, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(hours.updatedAt)) })}</p>;
}

function DepartmentHours({ departmentId }: { departmentId: string }) {
  const { t } = useTranslation();
  const loaded = useLoad(() => api.call('availability.departmentHours.get', { params: { departmentId } }), [departmentId]);
  const [ownZone, setOwnZone] = useState(false);
  const [ownHours, setOwnHours] = useState(false);
  const [timeZone, setTimeZone] = useState('');
  const [weekly, setWeekly] = useState<WeeklyHours | null>(null);
  const save = useSave();
  useEffect(() => {
    if (!loaded.data) return;
    setOwnZone(!loaded.data.inherited.timeZone);
    setOwnHours(!loaded.data.inherited.weeklyHours);
    setTimeZone(loaded.data.timeZone);
    setWeekly(loaded.data.weeklyHours);
  }, [loaded.data]);

  if (!loaded.data || !weekly) return <LoadState loaded={loaded} />;
  return (
    <form
      className="form ops__subform"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save.run(async () =>
          loaded.set(
            await api.call('availability.departmentHours.update', {
              params: { departmentId },
              body: { timeZone: ownZone ? timeZone.trim() : null, weeklyHours: ownHours ? weekly : null },
            }),
          ),
        );
      }}
    >
      <div className="ops__check">
        <input id="dept-own-zone" type="checkbox" checked={ownZone} onChange={(e) => setOwnZone(e.target.checked)} />
        <label htmlFor="dept-own-zone">{t('operations.hours.ownTimeZone')}</label>
      </div>
      {ownZone && <TimeZoneField id="dept-tz" label={t('operations.hours.timeZone')} hint={t('operations.hours.timeZoneHint')} value={timeZone} onChange={setTimeZone} error={errorAt(save.problem, '/timeZone')} />}
      <div className="ops__check">
        <input id="dept-own-hours" type="checkbox" checked={ownHours} onChange={(e) => setOwnHours(e.target.checked)} />
        <label htmlFor="dept-own-hours">{t('operations.hours.ownHours')}</label>
      </div>
      {ownHours ? (
        <WeeklyHoursEditor id="dept-hours" value={weekly} onChange={setWeekly} problem={save.problem} path="/weeklyHours" />
      ) : (
        <p className="hint">{t('operations.hours.usesOrganization')}</p>
      )}
      <div className="ops__actions">
        <button type="submit" className="button" disabled={save.busy}>
          {save.busy ? t('operations.saving') : t('operations.hours.saveDepartment')}
        </button>
        <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => p === '/timeZone' || isHoursPath('/weeklyHours', p)} />
      </div>
    </form>
  );
}
