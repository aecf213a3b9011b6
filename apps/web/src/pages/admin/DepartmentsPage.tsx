import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../lib/api.js';
import { AdminLayout } from './AdminLayout.js';
import { FieldError, FormMessage, invalid, Loaded, noProblem, problemOf, Saved, useLoad, type FormProblem } from './common.js';

/** Departments: the list and a new one (names are unique in the practice). */
export default function DepartmentsPage() {
  const { t } = useTranslation();
  const id = useId();
  const state = useLoad(async () => (await api.call('departments.list')).items);
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setProblem({ form: t('admin.errors.validation'), fields: { name: t('admin.errors.field.required') } });
    setBusy(true);
    setProblem(noProblem);
    try {
      const d = await api.call('departments.create', { body: { name: name.trim() } });
      state.setData([...(state.data ?? []), d]);
      setName('');
      setSaved(t('admin.departments.created', { name: d.name }));
    } catch (err) {
      const p = problemOf(err, t);
      // A name already taken is the name's problem.
      setProblem(p.code === 'conflict' ? { form: p.form, fields: { name: t('admin.departments.taken') } } : p);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AdminLayout title={t('admin.departments.title')}>
      <h1 tabIndex={-1}>{t('admin.departments.title')}</h1>
      <p>{t('admin.departments.intro')}</p>
      <Saved text={saved} />
      <section className="admin-card" aria-labelledby={`${id}-new`}>
        <h2 id={`${id}-new`}>{t('admin.departments.newTitle')}</h2>
        <form className="form admin-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
          <FormMessage problem={problem} />
          <div className="field">
            <label htmlFor={`${id}-name`}>{t('admin.departments.name')}</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoComplete="off" {...invalid(`${id}-name`, problem.fields.name)} />
            <FieldError id={`${id}-name-error`} message={problem.fields.name} />
          </div>
          <button type="submit" className="button" disabled={busy}>
            {busy ? t('admin.common.saving') : t('admin.departments.create')}
          </button>
        </form>
      </section>
      <h2>{t('admin.departments.listTitle')}</h2>
      <Loaded state={state}>
        {(items) =>
          items.length === 0 ? (
            <p>{t('admin.departments.empty')}</p>
          ) : (
            <ul className="admin-list" aria-label={t('admin.departments.listTitle')}>
              {items.map((d) => (
                <li key={d.id} className="admin-item" data-testid="department">
                  <h3 className="admin-item__title">{d.name}</h3>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </AdminLayout>
  );
}
