import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { CareTeam, Department, User } from '@haven/api';
import { api } from '../../lib/api.js';
import { AdminLayout } from './AdminLayout.js';
import { Confirm, FieldError, FormMessage, invalid, Loaded, noProblem, problemOf, Saved, useLoad, useReturnFocus, type FormProblem } from './common.js';
import { DepartmentSelect } from './PeoplePage.js';

/** Care teams: who is on each (they see its patients), a new team, add and remove members (removing asks first). */
export default function CareTeamsPage() {
  const { t } = useTranslation();
  const state = useLoad(async () => {
    const [teams, users, departments] = await Promise.all([api.call('careTeams.list'), api.call('users.list'), api.call('departments.list')]);
    return { teams: teams.items, users: users.items, departments: departments.items };
  });
  const [saved, setSaved] = useState<string | null>(null);
  const put = (team: CareTeam, message: string | null) => {
    if (!state.data) return;
    const exists = state.data.teams.some((x) => x.id === team.id);
    state.setData({ ...state.data, teams: exists ? state.data.teams.map((x) => (x.id === team.id ? team : x)) : [...state.data.teams, team] });
    setSaved(message);
  };
  return (
    <AdminLayout title={t('admin.careTeams.title')}>
      <h1 tabIndex={-1}>{t('admin.careTeams.title')}</h1>
      <p>{t('admin.careTeams.intro')}</p>
      <Saved text={saved} />
      <Loaded state={state}>
        {({ teams, users, departments }) => (
          <>
            <NewTeam departments={departments} onCreated={(x) => put(x, t('admin.careTeams.created', { name: x.name }))} />
            <h2>{t('admin.careTeams.listTitle')}</h2>
            {teams.length === 0 ? (
              <p>{t('admin.careTeams.empty')}</p>
            ) : (
              <ul className="admin-list" aria-label={t('admin.careTeams.listTitle')}>
                {teams.map((team) => (
                  <TeamItem key={team.id} team={team} users={users} departments={departments} onChanged={(x) => put(x, null)} />
                ))}
              </ul>
            )}
          </>
        )}
      </Loaded>
    </AdminLayout>
  );
}

function NewTeam({ departments, onCreated }: { departments: Department[]; onCreated: (t: CareTeam) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [name, setName] = useState('');
  const [departmentId, setDepartmentId] = useState('');
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem({ form: t('admin.errors.validation'), fields: { name: t('admin.errors.field.required') } });
    setBusy(true);
    setProblem(noProblem);
    try {
      const team = await api.call('careTeams.create', { body: { name: name.trim(), ...(departmentId ? { departmentId } : {}) } });
      setName('');
      onCreated(team);
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.careTeams.newTitle')}</h2>
      <form className="form admin-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
        <FormMessage problem={problem} />
        <div className="field">
          <label htmlFor={`${id}-name`}>{t('admin.careTeams.name')}</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoComplete="off" {...invalid(`${id}-name`, problem.fields.name)} />
          <FieldError id={`${id}-name-error`} message={problem.fields.name} />
        </div>
        <DepartmentSelect id={`${id}-department`} departments={departments} value={departmentId} onChange={setDepartmentId} error={problem.fields.departmentId} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('admin.common.saving') : t('admin.careTeams.create')}
        </button>
      </form>
    </section>
  );
}

function TeamItem({ team, users, departments, onChanged }: { team: CareTeam; users: User[]; departments: Department[]; onChanged: (t: CareTeam) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [adding, setAdding] = useState('');
  const [removing, setRemoving] = useState<User | null>(null);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  // What was just done to this team, said here (and announced).
  const [done, setDone] = useState<string | null>(null);
  const item = useRef<HTMLLIElement>(null);
  // After a removal is answered: the same person's Remove button, or (removed) the "Add someone" list.
  const lastRemoving = useRef<string | null>(null);
  if (removing) lastRemoving.current = removing.id;
  useReturnFocus(removing !== null, () => item.current?.querySelector<HTMLElement>(`[data-member="${lastRemoving.current}"]`) ?? item.current?.querySelector<HTMLElement>('select'));
  const byId = new Map(users.map((u) => [u.id, u]));
  const members = team.memberIds.map((m) => byId.get(m)).filter((u): u is User => u !== undefined);
  const candidates = users.filter((u) => u.status === 'active' && !team.memberIds.includes(u.id) && u.role !== 'compliance');
  const department = departments.find((d) => d.id === team.departmentId)?.name;

  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!adding) return setProblem({ form: null, fields: { userId: t('admin.careTeams.choosePerson') } });
    setBusy(true);
    setProblem(noProblem);
    try {
      const updated = await api.call('careTeams.members.add', { params: { id: team.id }, body: { userId: adding } });
      onChanged(updated);
      setDone(t('admin.careTeams.added', { name: byId.get(adding)?.name ?? '', team: team.name }));
      setAdding('');
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (u: User) => {
    setBusy(true);
    setProblem(noProblem);
    try {
      const updated = await api.call('careTeams.members.remove', { params: { id: team.id, userId: u.id } });
      setRemoving(null);
      onChanged(updated);
      setDone(t('admin.careTeams.removed', { name: u.name, team: team.name }));
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="admin-item" data-testid="care-team" ref={item}>
      <h3 className="admin-item__title">{team.name}</h3>
      {department && <p className="admin-item__meta">{t('admin.careTeams.inDepartment', { name: department })}</p>}
      <Saved text={done} />
      <FormMessage problem={problem} />
      {members.length === 0 ? (
        <p>{t('admin.careTeams.noMembers')}</p>
      ) : (
        <ul className="admin-members" aria-label={t('admin.careTeams.membersOf', { name: team.name })}>
          {members.map((u) => (
            <li key={u.id}>
              <span>
                {u.name} <span className="admin-item__meta">({t(`admin.roles.${u.role}`)})</span>
              </span>
              {removing?.id === u.id ? (
                <Confirm
                  question={t('admin.careTeams.removeConfirm', { name: u.name, team: team.name })}
                  action={t('admin.careTeams.removeYes')}
                  busy={busy}
                  onConfirm={() => void remove(u)}
                  onCancel={() => setRemoving(null)}
                />
              ) : (
                <button type="button" className="button button--secondary button--small" data-member={u.id} onClick={() => setRemoving(u)} aria-label={t('admin.careTeams.removeOf', { name: u.name, team: team.name })}>
                  {t('admin.careTeams.remove')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="admin-inline-form" onSubmit={(e) => void add(e)} noValidate aria-busy={busy}>
        <div className="field">
          <label htmlFor={`${id}-add`}>{t('admin.careTeams.addLabel', { team: team.name })}</label>
          <select id={`${id}-add`} value={adding} onChange={(e) => setAdding(e.target.value)} {...invalid(`${id}-add`, problem.fields.userId)}>
            <option value="">{t('admin.careTeams.choose')}</option>
            {candidates.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({t(`admin.roles.${u.role}`)})
              </option>
            ))}
          </select>
          <FieldError id={`${id}-add-error`} message={problem.fields.userId} />
        </div>
        <button type="submit" className="button button--small" disabled={busy}>
          {t('admin.careTeams.add')}
        </button>
      </form>
    </li>
  );
}
