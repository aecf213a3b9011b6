import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { CareTeam, Patient } from '@haven/api';
import { api } from '../../lib/api.js';
import { useEvents } from '../../hooks/useEvents.js';
import { AdminLayout } from './AdminLayout.js';
import { Confirm, FieldError, FormMessage, invalid, Loaded, noProblem, problemOf, Saved, useLoad, useReturnFocus, type FormProblem, OneTimePassword } from './common.js';

interface PatientFields {
  name: string;
  email: string;
  dateOfBirth: string;
  phone: string;
  mrn: string;
  careTeamIds: string[];
}
const emptyFields: PatientFields = { name: '', email: '', dateOfBirth: '', phone: '', mrn: '', careTeamIds: [] };

/**
 * Patients: register one (a one-time password is shown once), find by MRN or e-mail (or list all, archived
 * ones apart), change the profile and care teams, the cohort tags, archive (asked first) and unarchive.
 * What is searched goes in the API request only, never in the page address.
 */
export default function PatientsPage() {
  const { t } = useTranslation();
  const teams = useLoad(async () => (await api.call('careTeams.list')).items);
  const [results, setResults] = useState<Patient[] | null>(null);
  const replace = (p: Patient) => setResults((r) => (r ? r.map((x) => (x.id === p.id ? p : x)) : r));
  // Live: a patient on the list archived or unarchived by someone else is shown as they are now.
  useEvents((e) => {
    const id = e.patient?.id;
    if ((e.type !== 'patient.archived' && e.type !== 'patient.unarchived') || !id || !results?.some((x) => x.id === id)) return;
    api.call('patients.get', { params: { id } }).then(replace, () => undefined);
  });
  return (
    <AdminLayout title={t('admin.patients.title')}>
      <h1 tabIndex={-1}>{t('admin.patients.title')}</h1>
      <p>{t('admin.patients.intro')}</p>
      <Loaded state={teams}>
        {(careTeams) => (
          <>
            <Search
              onResults={setResults}
            />
            {results !== null && (
              <section aria-labelledby="patients-results">
                <h2 id="patients-results">{t('admin.patients.results', { count: results.length })}</h2>
                {results.length === 0 ? (
                  <p>{t('admin.patients.none')}</p>
                ) : (
                  <ul className="admin-list" aria-labelledby="patients-results">
                    {results.map((p) => (
                      <PatientItem key={p.id} patient={p} careTeams={careTeams} onChanged={replace} />
                    ))}
                  </ul>
                )}
              </section>
            )}
            <Register careTeams={careTeams} />
          </>
        )}
      </Loaded>
    </AdminLayout>
  );
}

function Search({ onResults }: { onResults: (r: Patient[]) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [text, setText] = useState('');
  const [archived, setArchived] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const run = async (all: boolean) => {
    setBusy(true);
    setProblem(noProblem);
    const value = text.trim();
    try {
      const query = { ...(archived ? { archived: true } : {}), ...(all || !value ? {} : value.includes('@') ? { email: value } : { mrn: value }) };
      onResults((await api.call('patients.list', { query })).items);
    } catch (err) {
      const p = problemOf(err, t);
      setProblem({ ...p, fields: Object.keys(p.fields).length ? { text: t('admin.patients.searchInvalid') } : {} });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.patients.findTitle')}</h2>
      <form
        className="form admin-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void run(false);
        }}
        noValidate
        aria-busy={busy}
      >
        <FormMessage problem={problem} />
        <div className="field">
          <label htmlFor={`${id}-text`}>{t('admin.patients.findLabel')}</label>
          <input id={`${id}-text`} value={text} onChange={(e) => setText(e.target.value)} maxLength={254} autoComplete="off" aria-describedby={`${id}-hint`} aria-invalid={problem.fields.text ? true : undefined} />
          <p id={`${id}-hint`} className="hint">
            {t('admin.patients.findHint')}
          </p>
          <FieldError id={`${id}-text-error`} message={problem.fields.text} />
        </div>
        <div className="admin-check">
          <input type="checkbox" id={`${id}-archived`} checked={archived} onChange={(e) => setArchived(e.target.checked)} />
          <label htmlFor={`${id}-archived`}>{t('admin.patients.archivedOnly')}</label>
        </div>
        <div className="admin-actions">
          <button type="submit" className="button" disabled={busy}>
            {t('admin.patients.find')}
          </button>
          <button type="button" className="button button--secondary" disabled={busy} onClick={() => void run(true)}>
            {archived ? t('admin.patients.showAllArchived') : t('admin.patients.showAll')}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The profile fields, for registering and for editing. */
function PatientForm({ id, fields, set, careTeams, problem, withEmail }: { id: string; fields: PatientFields; set: (f: PatientFields) => void; careTeams: CareTeam[]; problem: FormProblem; withEmail: boolean }) {
  // Editing (no e-mail field) opens with the keyboard in the first field.
  const focusFirst = !withEmail;
  const { t } = useTranslation();
  const text = (key: 'name' | 'email' | 'dateOfBirth' | 'phone' | 'mrn', type: string, autoComplete = 'off') => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{t(`admin.patients.${key}`)}</label>
      <input id={`${id}-${key}`} type={type} autoFocus={focusFirst && key === 'name'} value={fields[key]} onChange={(e) => set({ ...fields, [key]: e.target.value })} autoComplete={autoComplete} {...invalid(`${id}-${key}`, problem.fields[key])} />
      <FieldError id={`${id}-${key}-error`} message={problem.fields[key]} />
    </div>
  );
  return (
    <>
      {text('name', 'text')}
      {withEmail && text('email', 'email')}
      {text('dateOfBirth', 'date')}
      {text('phone', 'tel')}
      {text('mrn', 'text')}
      <fieldset className="admin-fieldset">
        <legend>{t('admin.patients.careTeams')}</legend>
        {careTeams.length === 0 && <p className="hint">{t('admin.careTeams.empty')}</p>}
        {careTeams.map((c) => (
          <div key={c.id} className="admin-check">
            <input
              type="checkbox"
              id={`${id}-team-${c.id}`}
              checked={fields.careTeamIds.includes(c.id)}
              onChange={(e) => set({ ...fields, careTeamIds: e.target.checked ? [...fields.careTeamIds, c.id] : fields.careTeamIds.filter((x) => x !== c.id) })}
            />
            <label htmlFor={`${id}-team-${c.id}`}>{c.name}</label>
          </div>
        ))}
        <FieldError id={`${id}-careTeamIds-error`} message={problem.fields.careTeamIds} />
      </fieldset>
    </>
  );
}

function Register({ careTeams }: { careTeams: CareTeam[] }) {
  const { t } = useTranslation();
  const id = useId();
  const [fields, setFields] = useState<PatientFields>(emptyFields);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Patient | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!fields.name.trim()) missing.name = t('admin.errors.field.required');
    if (!fields.email.trim()) missing.email = t('admin.errors.field.required');
    if (Object.keys(missing).length) return setProblem({ form: t('admin.errors.validation'), fields: missing });
    setBusy(true);
    setProblem(noProblem);
    try {
      const p = await api.call('patients.create', {
        body: {
          name: fields.name.trim(),
          email: fields.email.trim(),
          ...(fields.dateOfBirth ? { dateOfBirth: fields.dateOfBirth } : {}),
          ...(fields.phone.trim() ? { phone: fields.phone.trim() } : {}),
          ...(fields.mrn.trim() ? { mrn: fields.mrn.trim() } : {}),
          careTeamIds: fields.careTeamIds,
        },
      });
      setCreated(p);
      setFields(emptyFields);
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.patients.registerTitle')}</h2>
      {created?.initialPassword && (
        <OneTimePassword intro={t('admin.patients.passwordOnce', { name: created.name, email: created.email })} password={created.initialPassword} onDone={() => setCreated(null)} />
      )}
      <form className="form admin-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
        <FormMessage problem={problem} />
        <PatientForm id={id} fields={fields} set={setFields} careTeams={careTeams} problem={problem} withEmail />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('admin.common.saving') : t('admin.patients.register')}
        </button>
      </form>
    </section>
  );
}

function PatientItem({ patient, careTeams, onChanged }: { patient: Patient; careTeams: CareTeam[]; onChanged: (p: Patient) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [mode, setMode] = useState<'view' | 'edit' | 'tags' | 'archive' | 'deactivate'>('view');
  const [fields, setFields] = useState<PatientFields>(emptyFields);
  const [tags, setTags] = useState<string | null>(null);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  // What was just done for this patient, said here (and announced).
  const [done, setDone] = useState<string | null>(null);
  const item = useRef<HTMLLIElement>(null);
  useReturnFocus(mode !== 'view', () => item.current?.querySelector<HTMLElement>('button'));
  const teamNames = patient.careTeamIds.map((c) => careTeams.find((x) => x.id === c)?.name).filter(Boolean).join(', ');

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setProblem(noProblem);
    setDone(null);
    try {
      await work();
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  const startEdit = () => {
    setFields({ name: patient.name, email: patient.email, dateOfBirth: patient.dateOfBirth ?? '', phone: patient.phone ?? '', mrn: patient.mrn ?? '', careTeamIds: patient.careTeamIds });
    setProblem(noProblem);
    setMode('edit');
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    if (!fields.name.trim()) return setProblem({ form: t('admin.errors.validation'), fields: { name: t('admin.errors.field.required') } });
    void act(async () => {
      const same = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
      const body = {
        ...(fields.name.trim() !== patient.name ? { name: fields.name.trim() } : {}),
        ...((fields.dateOfBirth || null) !== patient.dateOfBirth ? { dateOfBirth: fields.dateOfBirth || null } : {}),
        ...((fields.phone.trim() || null) !== patient.phone ? { phone: fields.phone.trim() || null } : {}),
        ...((fields.mrn.trim() || null) !== patient.mrn ? { mrn: fields.mrn.trim() || null } : {}),
        ...(!same(fields.careTeamIds, patient.careTeamIds) ? { careTeamIds: fields.careTeamIds } : {}),
      };
      // Nothing changed: nothing to send.
      if (Object.keys(body).length === 0) return setMode('view');
      const p = await api.call('patients.update', { params: { id: patient.id }, body });
      setMode('view');
      onChanged(p);
      setDone(t('admin.patients.saved', { name: p.name }));
    });
  };
  const openTags = () =>
    void act(async () => {
      const current = await api.call('patients.tags.get', { params: { id: patient.id } });
      setTags(current.tags.join(', '));
      setMode('tags');
    });
  const saveTags = (e: FormEvent) => {
    e.preventDefault();
    const list = (tags ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    void act(async () => {
      try {
        const r = await api.call('patients.tags.set', { params: { id: patient.id }, body: { tags: list } });
        setTags(r.tags.join(', '));
        setMode('view');
        setDone(t('admin.patients.tagsSaved', { name: patient.name }));
      } catch (err) {
        const p = problemOf(err, t);
        setProblem({ ...p, fields: Object.keys(p.fields).length ? { tags: t('admin.patients.tagsInvalid') } : {} });
      }
    });
  };
  const archive = (yes: boolean) =>
    void act(async () => {
      const p = await api.call(yes ? 'patients.archive' : 'patients.unarchive', { params: { id: patient.id } });
      setMode('view');
      onChanged(p);
      setDone(t(yes ? 'admin.patients.archivedDone' : 'admin.patients.unarchivedDone', { name: p.name }));
    });

  // The account (signing in), apart from archiving (messaging): deactivating ends every session at once.
  const setActive = (yes: boolean) =>
    void act(async () => {
      await api.call(yes ? 'users.reactivate' : 'users.deactivate', { params: { id: patient.id } });
      setMode('view');
      onChanged({ ...patient, status: yes ? 'active' : 'deactivated' });
      setDone(t(yes ? 'admin.patients.reactivatedDone' : 'admin.patients.deactivatedDone', { name: patient.name }));
    });

  return (
    <li className={patient.archivedAt ? 'admin-item admin-item--inactive' : 'admin-item'} data-testid="patient" ref={item}>
      <h3 className="admin-item__title">{patient.name}</h3>
      <p className="admin-item__meta">
        {patient.email}
        {patient.mrn ? ` · ${t('admin.patients.mrnShort', { mrn: patient.mrn })}` : ''}
        {patient.dateOfBirth ? ` · ${t('admin.patients.born', { date: patient.dateOfBirth })}` : ''}
        {` · ${teamNames || t('admin.patients.noTeam')}`}
        {patient.archivedAt ? ` · ${t('admin.patients.archived')}` : ''}
        {patient.status !== 'active' ? ` · ${t('admin.people.inactive')}` : ''}
      </p>
      <Saved text={done} />
      {mode !== 'edit' && mode !== 'tags' && <FormMessage problem={problem} />}
      {mode === 'view' && (
        <div className="admin-actions">
          <button type="button" className="button button--secondary button--small" onClick={startEdit} aria-label={t('admin.patients.editOf', { name: patient.name })}>
            {t('admin.common.edit')}
          </button>
          <button type="button" className="button button--secondary button--small" onClick={openTags} disabled={busy} aria-label={t('admin.patients.tagsOf', { name: patient.name })}>
            {t('admin.patients.tags')}
          </button>
          {patient.status === 'active' ? (
            <button type="button" className="button button--secondary button--small" onClick={() => setMode('deactivate')} aria-label={t('admin.patients.deactivateOf', { name: patient.name })}>
              {t('admin.patients.deactivate')}
            </button>
          ) : (
            <button type="button" className="button button--secondary button--small" onClick={() => setActive(true)} disabled={busy} aria-label={t('admin.patients.reactivateOf', { name: patient.name })}>
              {t('admin.patients.reactivate')}
            </button>
          )}
          {patient.archivedAt ? (
            <button type="button" className="button button--secondary button--small" onClick={() => archive(false)} disabled={busy} aria-label={t('admin.patients.unarchiveOf', { name: patient.name })}>
              {t('admin.patients.unarchive')}
            </button>
          ) : (
            <button type="button" className="button button--secondary button--small" onClick={() => setMode('archive')} aria-label={t('admin.patients.archiveOf', { name: patient.name })}>
              {t('admin.patients.archive')}
            </button>
          )}
        </div>
      )}
      {mode === 'deactivate' && (
        <Confirm question={t('admin.patients.deactivateConfirm', { name: patient.name })} action={t('admin.patients.deactivateYes')} busy={busy} onConfirm={() => setActive(false)} onCancel={() => setMode('view')} />
      )}
      {mode === 'archive' && (
        <Confirm question={t('admin.patients.archiveConfirm', { name: patient.name })} action={t('admin.patients.archiveYes')} busy={busy} onConfirm={() => archive(true)} onCancel={() => setMode('view')} />
      )}
      {mode === 'edit' && (
        <form className="form admin-form" onSubmit={save} noValidate aria-busy={busy} aria-label={t('admin.patients.editOf', { name: patient.name })}>
          <FormMessage problem={problem} />
          <PatientForm id={id} fields={fields} set={setFields} careTeams={careTeams} problem={problem} withEmail={false} />
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
      {mode === 'tags' && (
        <form className="form admin-form" onSubmit={saveTags} noValidate aria-busy={busy} aria-label={t('admin.patients.tagsOf', { name: patient.name })}>
          <FormMessage problem={problem} />
          <div className="field">
            <label htmlFor={`${id}-tags`}>{t('admin.patients.tagsLabel')}</label>
            <input
              id={`${id}-tags`}
              value={tags ?? ''}
              onChange={(e) => setTags(e.target.value)}
              autoFocus
              autoComplete="off"
              aria-describedby={`${id}-tags-hint${problem.fields.tags ? ` ${id}-tags-error` : ''}`}
              aria-invalid={problem.fields.tags ? true : undefined}
            />
            <p id={`${id}-tags-hint`} className="hint">
              {t('admin.patients.tagsHint')}
            </p>
            <FieldError id={`${id}-tags-error`} message={problem.fields.tags} />
          </div>
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
