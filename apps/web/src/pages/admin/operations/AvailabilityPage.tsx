import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { StaffStatus, WeeklyHours } from '@haven/api';
import { useSession } from '../../../hooks/useSession.js';
import { useEvents } from '../../../hooks/useEvents.js';
import { api } from '../../../lib/api.js';
import {
  ConfirmAction,
  errorAt,
  focusById,
  FieldError,
  formatRange,
  fromLocalInput,
  invalidProps,
  LoadState,
  OpsFrame,
  SaveOutcome,
  TimeRangeFields,
  TimeZoneField,
  useLoad,
  useSave,
  useStaff,
  type Audience,
} from './common.js';
import { isHoursPath, WeeklyHoursEditor } from './HoursEditor.js';

/**
 * Out of office and coverage. Admins: everyone's status now (working, away, who covers) and any person's working
 * hours and away periods. Providers and staff ("My availability"): their own.
 */
export default function AvailabilityPage({ who }: { who: Audience }) {
  const { t } = useTranslation();
  const { session } = useSession();
  const staff = useStaff();
  const [selected, setSelected] = useState<string | null>(null);
  useEvents((e) => {
    if (e.type === 'availability.changed' && e.availability?.scope === 'staff') staff.reload();
  });
  const me = session?.user.id ?? '';
  if (who === 'clinician') {
    return (
      <OpsFrame who="clinician" title={t('operations.availability.myTitle')} intro={t('operations.availability.myIntro')}>
        {session?.user.role === 'provider' && <DirectMessages />}
        <PersonAvailability userId={me} staff={staff.data ?? []} onChanged={staff.reload} mine />
      </OpsFrame>
    );
  }
  const person = staff.data?.find((s) => s.userId === selected) ?? null;
  return (
    <OpsFrame who="admin" title={t('operations.availability.title')} intro={t('operations.availability.intro')}>
      <section className="ops__section" aria-labelledby="staff-now-title">
        <h2 id="staff-now-title">{t('operations.availability.nowTitle')}</h2>
        <LoadState loaded={staff} />
        {staff.data && staff.data.length === 0 && <p>{t('operations.availability.noStaff')}</p>}
        {staff.data && staff.data.length > 0 && (
          <div className="ops__table-wrap">
            <table className="ops__table" data-testid="staff-status">
              <caption className="visually-hidden">{t('operations.availability.nowTitle')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('operations.availability.person')}</th>
                  <th scope="col">{t('operations.availability.status')}</th>
                  <th scope="col">{t('operations.availability.cover')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('operations.availability.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {staff.data.map((s) => (
                  <tr key={s.userId}>
                    <th scope="row">
                      {s.name} <span className="hint">({t(`operations.roles.${s.role}`)})</span>
                    </th>
                    <td>
                      <StatusText s={s} />
                    </td>
                    <td>{s.outOfOffice ? (s.coveredBy?.name ?? t('operations.availability.nobodyCovers')) : '—'}</td>
                    <td>
                      <button type="button" className="button button--small button--secondary" aria-pressed={selected === s.userId} onClick={() => setSelected(s.userId)}>
                        {t('operations.availability.manage', { name: s.name })}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {person && (
        <section className="ops__section" aria-labelledby="person-title" key={person.userId}>
          <h2 id="person-title" tabIndex={-1}>
            {t('operations.availability.personTitle', { name: person.name })}
          </h2>
          <PersonAvailability userId={person.userId} staff={staff.data ?? []} onChanged={staff.reload} mine={false} />
        </section>
      )}
    </OpsFrame>
  );
}

function StatusText({ s }: { s: StaffStatus }) {
  const { t } = useTranslation();
  if (s.outOfOffice) return <span className="badge badge--away">{t('operations.availability.away')}</span>;
  if (s.available) return <span className="badge badge--ok">{t('operations.availability.available')}</span>;
  return <span>{t('operations.availability.offHours')}</span>;
}

/** One person's working hours (own or the practice's) and away periods with who covers. */
function PersonAvailability({ userId, staff, onChanged, mine }: { userId: string; staff: StaffStatus[]; onChanged(): void; mine: boolean }) {
  const { t, i18n } = useTranslation();
  const loaded = useLoad(() => api.call('availability.staff.get', { params: { userId } }), [userId]);
  useEffect(() => {
    document.getElementById('person-title')?.focus();
  }, [userId]);
  const name = (id: string | null) => (id ? (staff.find((s) => s.userId === id)?.name ?? t('operations.availability.someone')) : t('operations.availability.nobody'));
  const [removeProblem, setRemoveProblem] = useState<string | null>(null);
  const reload = () => {
    loaded.reload();
    onChanged();
  };
  return (
    <>
      <LoadState loaded={loaded} />
      {loaded.data && (
        <>
          <div className="ops__subsection">
            <Heading level={mine ? 2 : 3} id="away-title">{t('operations.availability.awayTitle')}</Heading>
            {loaded.data.outOfOffice.length === 0 && <p>{mine ? t('operations.availability.noAwayMine') : t('operations.availability.noAway')}</p>}
            {removeProblem && (
              <p className="form-error" role="alert">
                {removeProblem}
              </p>
            )}
            <ul className="ops__list" data-testid="away-list">
              {loaded.data.outOfOffice.map((o) => (
                <li key={o.id} className="ops__item" data-testid="away">
                  <div>
                    <p className="ops__item-title">{formatRange(o.startsAt, o.endsAt, i18n.language)}</p>
                    <p>{t('operations.availability.coveredBy', { name: name(o.coverUserId) })}</p>
                    <ChangeCover userId={userId} outOfOfficeId={o.id} current={o.coverUserId} staff={staff} onSaved={reload} />
                  </div>
                  <ConfirmAction
                    label={t('operations.availability.removeAway')}
                    question={t('operations.availability.removeAwayQuestion')}
                    confirmLabel={t('operations.availability.removeAwayConfirm')}
                    onConfirm={async () => {
                      setRemoveProblem(null);
                      try {
                        await api.call('availability.outOfOffice.delete', { params: { userId, outOfOfficeId: o.id } });
                        reload();
                        focusById('away-title');
                      } catch {
                        setRemoveProblem(t('operations.availability.removeFailed'));
                      }
                    }}
                  />
                </li>
              ))}
            </ul>
            <AddAway mine={mine} level={mine ? 3 : 4} userId={userId} staff={staff} onAdded={reload} />
          </div>
          <WorkingHours mine={mine} level={mine ? 2 : 3} userId={userId} timeZone={loaded.data.timeZone} weeklyHours={loaded.data.weeklyHours} effective={loaded.data.effective} onSaved={reload} />
        </>
      )}
    </>
  );
}

function AddAway({ mine, level, userId, staff, onAdded }: { mine: boolean; level: 3 | 4; userId: string; staff: StaffStatus[]; onAdded(): void }) {
  const { t } = useTranslation();
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [cover, setCover] = useState('');
  const save = useSave();
  const fromError = errorAt(save.problem, '/startsAt');
  const untilError = errorAt(save.problem, '/endsAt');
  const coverError = errorAt(save.problem, '/coverUserId');
  return (
    <form
      className="form ops__subform"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save
          .run(() => api.call('availability.outOfOffice.create', { params: { userId }, body: { startsAt: fromLocalInput(from), endsAt: fromLocalInput(until), coverUserId: cover || null } }))
          .then((ok) => {
            if (!ok) return;
            setFrom('');
            setUntil('');
            setCover('');
            onAdded();
          });
      }}
    >
      <Heading level={level} className="ops__form-title">
        {t('operations.availability.addAway')}
      </Heading>
      <TimeRangeFields idPrefix="away" fromLabel={t('operations.availability.from')} untilLabel={t('operations.availability.until')} from={from} until={until} setFrom={setFrom} setUntil={setUntil} fromError={fromError} untilError={untilError} />
      <div className="field">
        <label htmlFor="away-cover">{t('operations.availability.whoCovers')}</label>
        <p className="hint" id="away-cover-hint">
          {mine ? t('operations.availability.whoCoversHintMine') : t('operations.availability.whoCoversHint')}
        </p>
        <select id="away-cover" className="ops__select" value={cover} onChange={(e) => setCover(e.target.value)} {...invalidProps(coverError, 'away-cover-error', 'away-cover-hint')}>
          <option value="">{t('operations.availability.nobody')}</option>
          {staff
            .filter((s) => s.userId !== userId)
            .map((s) => (
              <option key={s.userId} value={s.userId}>
                {s.name}
              </option>
            ))}
        </select>
        <FieldError id="away-cover-error" message={coverError} />
      </div>
      <div className="ops__actions">
        <button type="submit" className="button" disabled={save.busy}>
          {save.busy ? t('operations.saving') : t('operations.availability.saveAway')}
        </button>
        <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => ['/startsAt', '/endsAt', '/coverUserId'].includes(p)} />
      </div>
    </form>
  );
}

function WorkingHours(props: { mine: boolean; level: 2 | 3; userId: string; timeZone: string | null; weeklyHours: WeeklyHours | null; effective: { timeZone: string; weeklyHours: WeeklyHours }; onSaved(): void }) {
  const { t } = useTranslation();
  const [ownZone, setOwnZone] = useState(props.timeZone !== null);
  const [ownHours, setOwnHours] = useState(props.weeklyHours !== null);
  const [timeZone, setTimeZone] = useState(props.timeZone ?? props.effective.timeZone);
  const [weekly, setWeekly] = useState<WeeklyHours>(props.weeklyHours ?? props.effective.weeklyHours);
  const save = useSave();
  return (
    <div className="ops__subsection">
      <Heading level={props.level}>{t('operations.availability.hoursTitle')}</Heading>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save
            .run(() => api.call('availability.staff.update', { params: { userId: props.userId }, body: { timeZone: ownZone ? timeZone.trim() : null, weeklyHours: ownHours ? weekly : null } }))
            .then((ok) => ok && props.onSaved());
        }}
      >
        <div className="ops__check">
          <input id="staff-own-zone" type="checkbox" checked={ownZone} onChange={(e) => setOwnZone(e.target.checked)} />
          <label htmlFor="staff-own-zone">{props.mine ? t('operations.availability.ownTimeZone') : t('operations.availability.ownTimeZoneOther')}</label>
        </div>
        {ownZone ? (
          <TimeZoneField id="staff-tz" label={t('operations.hours.timeZone')} hint={t('operations.hours.timeZoneHint')} value={timeZone} onChange={setTimeZone} error={errorAt(save.problem, '/timeZone')} />
        ) : (
          <p className="hint">{t('operations.availability.usesZone', { zone: props.effective.timeZone })}</p>
        )}
        <div className="ops__check">
          <input id="staff-own-hours" type="checkbox" checked={ownHours} onChange={(e) => setOwnHours(e.target.checked)} />
          <label htmlFor="staff-own-hours">{props.mine ? t('operations.availability.ownHours') : t('operations.availability.ownHoursOther')}</label>
        </div>
        {ownHours ? (
          <WeeklyHoursEditor id="staff-hours" value={weekly} onChange={setWeekly} problem={save.problem} path="/weeklyHours" />
        ) : (
          <p className="hint">{t('operations.availability.usesHours')}</p>
        )}
        <div className="ops__actions">
          <button type="submit" className="button" disabled={save.busy}>
            {save.busy ? t('operations.saving') : t('operations.availability.saveHours')}
          </button>
          <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => p === '/timeZone' || isHoursPath('/weeklyHours', p)} />
        </div>
      </form>
    </div>
  );
}

function Heading({ level, className, id, children }: { level: 2 | 3 | 4; className?: string; id?: string; children: ReactNode }) {
  const H = `h${level}` as const;
  return (
    <H className={className} id={id} tabIndex={id ? -1 : undefined}>
      {children}
    </H>
  );
}

/** Change who covers a period of time away (`availability.outOfOffice.update`). */
function ChangeCover({ userId, outOfOfficeId, current, staff, onSaved }: { userId: string; outOfOfficeId: string; current: string | null; staff: StaffStatus[]; onSaved(): void }) {
  const { t } = useTranslation();
  const [cover, setCover] = useState(current ?? '');
  const save = useSave();
  const id = `cover-${outOfOfficeId}`;
  const error = errorAt(save.problem, '/coverUserId');
  return (
    <form
      className="ops__inline"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save.run(() => api.call('availability.outOfOffice.update', { params: { userId, outOfOfficeId }, body: { coverUserId: cover || null } })).then((ok) => ok && onSaved());
      }}
    >
      <label htmlFor={id}>{t('operations.availability.changeCover')}</label>
      <select id={id} className="ops__select" value={cover} onChange={(e) => setCover(e.target.value)} {...invalidProps(error, `${id}-error`)}>
        <option value="">{t('operations.availability.nobody')}</option>
        {staff
          .filter((s) => s.userId !== userId)
          .map((s) => (
            <option key={s.userId} value={s.userId}>
              {s.name}
            </option>
          ))}
      </select>
      <button type="submit" className="button button--small button--secondary" disabled={save.busy || cover === (current ?? '')}>
        {t('operations.availability.saveCover')}
      </button>
      <FieldError id={`${id}-error`} message={error} />
      <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => p === '/coverUserId'} />
    </form>
  );
}

/** Providers: whether patients may address messages to them directly, or through staff first (`workflow.directMessages`). */
function DirectMessages() {
  const { t } = useTranslation();
  const loaded = useLoad(() => api.call('workflow.directMessages.get'), []);
  const [accepts, setAccepts] = useState<boolean | null>(null);
  const save = useSave();
  useEffect(() => {
    if (loaded.data) setAccepts(loaded.data.acceptsDirectMessages);
  }, [loaded.data]);
  return (
    <section className="ops__subsection" aria-labelledby="direct-title">
      <h2 id="direct-title">{t('operations.availability.directTitle')}</h2>
      <LoadState loaded={loaded} />
      {accepts !== null && (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save.run(async () => loaded.set(await api.call('workflow.directMessages', { body: { acceptsDirectMessages: accepts } })));
          }}
        >
          <div className="ops__check">
            <input id="direct-accepts" type="checkbox" checked={accepts} onChange={(e) => setAccepts(e.target.checked)} aria-describedby="direct-hint" />
            <label htmlFor="direct-accepts">{t('operations.availability.directAccepts')}</label>
          </div>
          <p className="hint" id="direct-hint">
            {t('operations.availability.directHint')}
          </p>
          <div className="ops__actions">
            <button type="submit" className="button" disabled={save.busy}>
              {save.busy ? t('operations.saving') : t('operations.availability.directSave')}
            </button>
            <SaveOutcome problem={save.problem} saved={save.saved} />
          </div>
        </form>
      )}
    </section>
  );
}
