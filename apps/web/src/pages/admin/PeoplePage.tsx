import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Department, StaffRole, User } from '@haven/api';
import { api } from '../../lib/api.js';
import { useSession } from '../../hooks/useSession.js';
import { AdminLayout } from './AdminLayout.js';
import { Confirm, FieldError, FormMessage, invalid, Loaded, noProblem, problemOf, Saved, useLoad, useReturnFocus, type FormProblem, OneTimePassword } from './common.js';

const ROLES: StaffRole[] = ['admin', 'provider', 'staff', 'compliance'];

/**
 * Staff accounts: the list (role, department, active or not), invite (create an account; the server makes a
 * one-time password shown here once), change name, role and department, and deactivate (asked first; it ends every
 * session of the person at once).
 */
export default function PeoplePage() {
  const { t } = useTranslation();
  const state = useLoad(async () => {
    const [users, departments] = await Promise.all([api.call('users.list'), api.call('departments.list')]);
    return { users: users.items, departments: departments.items };
  });
  const [saved, setSaved] = useState<string | null>(null);
  const replace = (u: User) => state.data && state.setData({ ...state.data, users: state.data.users.map((x) => (x.id === u.id ? u : x)) });
  return (
    <AdminLayout title={t('admin.people.title')}>
      <h1 tabIndex={-1}>{t('admin.people.title')}</h1>
      <p>{t('admin.people.intro')}</p>
      <Saved text={saved} />
      <Loaded state={state}>
        {({ users, departments }) => (
          <>
            <InviteForm
              departments={departments}
              onCreated={(u) => {
                state.setData({ users: [...users, u], departments });
                setSaved(t('admin.people.invited', { name: u.name }));
              }}
            />
            <h2>{t('admin.people.listTitle')}</h2>
            {users.length === 0 ? (
              <p>{t('admin.people.empty')}</p>
            ) : (
              <ul className="admin-list" aria-label={t('admin.people.listTitle')}>
                {users.map((u) => (
                  <PersonItem
                    key={u.id}
                    user={u}
                    departments={departments}
                    onChanged={replace}
                  />
                ))}
              </ul>
            )}
          </>
        )}
      </Loaded>
    </AdminLayout>
  );
}

function InviteForm({ departments, onCreated }: { departments: Department[]; onCreated: (u: User) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<StaffRole>('staff');
  const [departmentId, setDepartmentId] = useState('');
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<User | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const fields: Record<string, string> = {};
    if (!name.trim()) fields.name = t('admin.errors.field.required');
    if (!email.trim()) fields.email = t('admin.errors.field.required');
    if (Object.keys(fields).length) return setProblem({ form: t('admin.errors.validation'), fields });
    setBusy(true);
    setProblem(noProblem);
    try {
      const u = await api.call('users.create', { body: { name: name.trim(), email: email.trim(), role, ...(departmentId ? { departmentId } : {}) } });
      setCreated(u);
      setName('');
      setEmail('');
      onCreated({ ...u, initialPassword: undefined });
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.people.inviteTitle')}</h2>
      <p className="hint">{t('admin.people.inviteIntro')}</p>
      {created?.initialPassword && (
        <OneTimePassword intro={t('admin.people.passwordOnce', { name: created.name, email: created.email })} password={created.initialPassword} onDone={() => setCreated(null)} />
      )}
      <form className="form admin-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
        <FormMessage problem={problem} />
        <div className="field">
          <label htmlFor={`${id}-name`}>{t('admin.people.name')}</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoComplete="off" {...invalid(`${id}-name`, problem.fields.name)} />
          <FieldError id={`${id}-name-error`} message={problem.fields.name} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-email`}>{t('admin.people.email')}</label>
          <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} maxLength={254} autoComplete="off" {...invalid(`${id}-email`, problem.fields.email)} />
          <FieldError id={`${id}-email-error`} message={problem.fields.email} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-role`}>{t('admin.people.role')}</label>
          <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as StaffRole)} {...invalid(`${id}-role`, problem.fields.role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`admin.roles.${r}`)}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-role-error`} message={problem.fields.role} />
        </div>
        <DepartmentSelect id={`${id}-department`} departments={departments} value={departmentId} onChange={setDepartmentId} error={problem.fields.departmentId} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('admin.common.saving') : t('admin.people.invite')}
        </button>
      </form>
    </section>
  );
}

export function DepartmentSelect({ id, departments, value, onChange, error, label }: { id: string; departments: Department[]; value: string; onChange: (v: string) => void; error?: string; label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="field">
      <label htmlFor={id}>{label ?? t('admin.people.department')}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} {...invalid(id, error)}>
        <option value="">{t('admin.common.noDepartment')}</option>
        {departments.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

function PersonItem({ user, departments, onChanged }: { user: User; departments: Department[]; onChanged: (u: User) => void }) {
  const { t } = useTranslation();
  const { session } = useSession();
  const id = useId();
  const [mode, setMode] = useState<'view' | 'edit' | 'deactivate'>('view');
  const [name, setName] = useState(user.name);
  const [role, setRole] = useState<StaffRole>(user.role as StaffRole);
  const [departmentId, setDepartmentId] = useState(user.departmentId ?? '');
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  // What was just done to this person, said here (and announced).
  const [done, setDone] = useState<string | null>(null);
  const self = session?.user.id === user.id;
  const department = departments.find((d) => d.id === user.departmentId)?.name ?? t('admin.common.noDepartment');
  const active = user.status === 'active';
  const item = useRef<HTMLLIElement>(null);
  useReturnFocus(mode !== 'view', () => item.current?.querySelector<HTMLElement>('button') ?? item.current?.querySelector<HTMLElement>('h3'));

  const startEdit = () => {
    setName(user.name);
    setRole(user.role as StaffRole);
    setDepartmentId(user.departmentId ?? '');
    setProblem(noProblem);
    setDone(null);
    setMode('edit');
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem({ form: t('admin.errors.validation'), fields: { name: t('admin.errors.field.required') } });
    setBusy(true);
    setProblem(noProblem);
    try {
      const body = {
        ...(name.trim() !== user.name ? { name: name.trim() } : {}),
        ...((departmentId || null) !== user.departmentId ? { departmentId: departmentId || null } : {}),
        ...(role !== user.role ? { role } : {}),
      };
      if (Object.keys(body).length === 0) return setMode('view');
      const u = await api.call('users.update', { params: { id: user.id }, body });
      setMode('view');
      onChanged(u);
      setDone(t('admin.people.saved', { name: u.name }));
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };

  const deactivate = async () => {
    setBusy(true);
    setProblem(noProblem);
    try {
      await api.call('users.deactivate', { params: { id: user.id } });
      setMode('view');
      onChanged({ ...user, status: 'deactivated' });
      setDone(t('admin.people.deactivated', { name: user.name }));
    } catch (err) {
      setProblem(problemOf(err, t));
      setMode('view');
    } finally {
      setBusy(false);
    }
  };

  const reactivate = async () => {
    setBusy(true);
    setProblem(noProblem);
    try {
      await api.call('users.reactivate', { params: { id: user.id } });
      onChanged({ ...user, status: 'active' });
      setDone(t('admin.people.reactivated', { name: user.name }));
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className={active ? 'admin-item' : 'admin-item admin-item--inactive'} data-testid="person" ref={item}>
      <div className="admin-item__main">
        <h3 className="admin-item__title" tabIndex={-1}>
          {user.name}
        </h3>
        <p className="admin-item__meta">
          {user.email} · {t(`admin.roles.${user.role}`)} · {department} · {active ? t('admin.people.active') : t('admin.people.inactive')}
          {active && !user.mfaEnabled ? ` · ${t('admin.people.noSecondFactor')}` : ''}
        </p>
      </div>
      <Saved text={done} />
      {mode === 'view' && <FormMessage problem={problem} />}
      {mode === 'view' && active && (
        <div className="admin-actions">
          <button type="button" className="button button--secondary button--small" onClick={startEdit} aria-label={t('admin.people.editOf', { name: user.name })}>
            {t('admin.common.edit')}
          </button>
          {!self && (
            <button type="button" className="button button--secondary button--small" onClick={() => setMode('deactivate')} aria-label={t('admin.people.deactivateOf', { name: user.name })}>
              {t('admin.people.deactivate')}
            </button>
          )}
        </div>
      )}
      {mode === 'view' && !active && (
        <div className="admin-actions">
          <button type="button" className="button button--secondary button--small" disabled={busy} onClick={() => void reactivate()} aria-label={t('admin.people.reactivateOf', { name: user.name })}>
            {t('admin.people.reactivate')}
          </button>
        </div>
      )}
      {mode === 'deactivate' && (
        <Confirm
          question={t('admin.people.deactivateConfirm', { name: user.name })}
          action={t('admin.people.deactivateYes')}
          busy={busy}
          onConfirm={() => void deactivate()}
          onCancel={() => setMode('view')}
        />
      )}
      {mode === 'edit' && (
        <form className="form admin-form" onSubmit={(e) => void save(e)} noValidate aria-busy={busy} aria-label={t('admin.people.editOf', { name: user.name })}>
          <FormMessage problem={problem} />
          <div className="field">
            <label htmlFor={`${id}-name`}>{t('admin.people.name')}</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoComplete="off" autoFocus {...invalid(`${id}-name`, problem.fields.name)} />
            <FieldError id={`${id}-name-error`} message={problem.fields.name} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-role`}>{t('admin.people.role')}</label>
            <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as StaffRole)} aria-describedby={`${id}-role-hint${problem.fields.role ? ` ${id}-role-error` : ''}`} aria-invalid={problem.fields.role ? true : undefined}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`admin.roles.${r}`)}
                </option>
              ))}
            </select>
            <p id={`${id}-role-hint`} className="hint">
              {t('admin.people.roleHint')}
            </p>
            <FieldError id={`${id}-role-error`} message={problem.fields.role} />
          </div>
          <DepartmentSelect id={`${id}-department`} departments={departments} value={departmentId} onChange={setDepartmentId} error={problem.fields.departmentId} />
          <div className="admin-actions">
            <button type="submit" className="button button--small" disabled={busy}>
              {busy ? t('admin.common.saving') : t('admin.common.save')}
            </button>
            <button type="button" className="button button--secondary button--small" onClick={() => setMode('view')}>
              {t('admin.common.cancel')}
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
