import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { CareTeam, Department, Queue, User } from '@haven/api';
import { api } from '../../lib/api.js';
import { topicLabel } from '../../lib/format.js';
import { AdminLayout } from './AdminLayout.js';
import { Confirm, FieldError, FormMessage, invalid, Loaded, noProblem, problemOf, Saved, useLoad, useReturnFocus, type FormProblem } from './common.js';
import { DepartmentSelect } from './PeoplePage.js';

type Assignment = Queue['assignment'];
const ASSIGNMENTS: Assignment[] = ['off', 'round_robin', 'least_loaded'];

interface Setup {
  topics: string[];
  queues: Queue[];
  rules: { topic?: string | null; departmentId?: string | null; careTeamId?: string | null; queueId: string }[];
  departments: Department[];
  careTeams: CareTeam[];
  staff: User[];
}

/**
 * How new conversations reach people: the topics patients choose from, the queues (who works them, how threads are
 * handed out, who takes overdue ones) and the ordered routing rules (the first rule that matches picks the queue).
 */
export default function RoutingPage() {
  const { t } = useTranslation();
  const state = useLoad<Setup>(async () => {
    const [org, queues, rules, departments, careTeams, users] = await Promise.all([
      api.call('organization.get'),
      api.call('queues.list'),
      api.call('routing.rules.get'),
      api.call('departments.list'),
      api.call('careTeams.list'),
      api.call('users.list'),
    ]);
    return {
      topics: org.topics,
      queues: queues.items,
      rules: rules.rules,
      departments: departments.items,
      careTeams: careTeams.items,
      staff: users.items.filter((u) => u.status === 'active' && (u.role === 'provider' || u.role === 'staff')),
    };
  });
  // "Saved" is said in the section that was saved (and announced).
  const [saved, setSaved] = useState<{ section: 'topics' | 'queues' | 'rules'; text: string } | null>(null);
  const update = (patch: Partial<Setup>, section: 'topics' | 'queues' | 'rules', text: string) => {
    if (state.data) state.setData({ ...state.data, ...patch });
    setSaved({ section, text });
  };
  const savedIn = (section: 'topics' | 'queues' | 'rules') => (saved?.section === section ? saved.text : null);
  return (
    <AdminLayout title={t('admin.routing.title')}>
      <h1 tabIndex={-1}>{t('admin.routing.title')}</h1>
      <p>{t('admin.routing.intro')}</p>
      <Loaded state={state}>
        {(setup) => (
          <>
            <Topics topics={setup.topics} saved={savedIn('topics')} onSaved={(topics) => update({ topics }, 'topics', t('admin.topics.saved'))} />
            <Queues setup={setup} saved={savedIn('queues')} onSaved={(queues, message) => update({ queues }, 'queues', message)} />
            <Rules setup={setup} saved={savedIn('rules')} onSaved={(rules) => update({ rules }, 'rules', t('admin.rules.saved'))} />
          </>
        )}
      </Loaded>
    </AdminLayout>
  );
}

function Topics({ topics, saved, onSaved }: { topics: string[]; saved: string | null; onSaved: (topics: string[]) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [list, setList] = useState(topics);
  const [next, setNext] = useState('');
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const add = () => {
    const value = next.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (!/^[a-z0-9_]{1,64}$/.test(value)) return setProblem({ form: null, fields: { next: t('admin.topics.invalid') } });
    if (list.includes(value)) return setProblem({ form: null, fields: { next: t('admin.topics.duplicate') } });
    setList([...list, value]);
    setNext('');
    setProblem(noProblem);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (list.length === 0) return setProblem({ form: t('admin.topics.atLeastOne'), fields: {} });
    setBusy(true);
    setProblem(noProblem);
    try {
      const org = await api.call('organization.update', { body: { topics: list } });
      setList(org.topics);
      onSaved(org.topics);
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.topics.title')}</h2>
      <p className="hint">{t('admin.topics.intro')}</p>
      <Saved text={saved} />
      <form className="form admin-form" onSubmit={(e) => void save(e)} noValidate aria-busy={busy}>
        <FormMessage problem={problem} />
        <ul className="admin-members" aria-label={t('admin.topics.title')}>
          {list.map((x, i) => (
            <li key={x}>
              <span>
                {topicLabel(t, x)} <span className="admin-item__meta">({x})</span>
              </span>
              <FieldError id={`${id}-topic-${i}-error`} message={problem.fields[`topics/${i}`]} />
              <button type="button" className="button button--secondary button--small" onClick={() => setList(list.filter((y) => y !== x))} aria-label={t('admin.topics.removeOf', { name: topicLabel(t, x) })}>
                {t('admin.common.remove')}
              </button>
            </li>
          ))}
        </ul>
        <div className="admin-inline-form">
          <div className="field">
            <label htmlFor={`${id}-next`}>{t('admin.topics.newLabel')}</label>
            <input
              id={`${id}-next`}
              value={next}
              onChange={(e) => setNext(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  add();
                }
              }}
              maxLength={64}
              autoComplete="off"
              aria-describedby={`${id}-next-hint${problem.fields.next ? ` ${id}-next-error` : ''}`}
              aria-invalid={problem.fields.next ? true : undefined}
            />
            <p id={`${id}-next-hint`} className="hint">
              {t('admin.topics.newHint')}
            </p>
            <FieldError id={`${id}-next-error`} message={problem.fields.next} />
          </div>
          <button type="button" className="button button--secondary button--small" onClick={add}>
            {t('admin.topics.add')}
          </button>
        </div>
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('admin.common.saving') : t('admin.topics.save')}
        </button>
      </form>
    </section>
  );
}

interface QueueFields {
  name: string;
  departmentId: string;
  assignment: Assignment;
  memberIds: string[];
  escalateToId: string;
}

function QueueForm({ id, fields, set, setup, problem, focus = false }: { id: string; fields: QueueFields; set: (f: QueueFields) => void; setup: Setup; problem: FormProblem; focus?: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-name`}>{t('admin.queues.name')}</label>
        <input id={`${id}-name`} value={fields.name} onChange={(e) => set({ ...fields, name: e.target.value })} maxLength={120} autoComplete="off" autoFocus={focus} {...invalid(`${id}-name`, problem.fields.name)} />
        <FieldError id={`${id}-name-error`} message={problem.fields.name} />
      </div>
      <DepartmentSelect id={`${id}-department`} departments={setup.departments} value={fields.departmentId} onChange={(v) => set({ ...fields, departmentId: v })} error={problem.fields.departmentId} />
      <div className="field">
        <label htmlFor={`${id}-assignment`}>{t('admin.queues.assignment')}</label>
        <select id={`${id}-assignment`} value={fields.assignment} onChange={(e) => set({ ...fields, assignment: e.target.value as Assignment })}>
          {ASSIGNMENTS.map((a) => (
            <option key={a} value={a}>
              {t(`admin.queues.assignments.${a}`)}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="admin-fieldset">
        <legend>{t('admin.queues.members')}</legend>
        {setup.staff.length === 0 && <p className="hint">{t('admin.queues.noStaff')}</p>}
        {setup.staff.map((u) => (
          <div key={u.id} className="admin-check">
            <input
              type="checkbox"
              id={`${id}-member-${u.id}`}
              checked={fields.memberIds.includes(u.id)}
              onChange={(e) => set({ ...fields, memberIds: e.target.checked ? [...fields.memberIds, u.id] : fields.memberIds.filter((x) => x !== u.id) })}
            />
            <label htmlFor={`${id}-member-${u.id}`}>
              {u.name} ({t(`admin.roles.${u.role}`)})
            </label>
          </div>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-escalate`}>{t('admin.queues.escalateTo')}</label>
        <select id={`${id}-escalate`} value={fields.escalateToId} onChange={(e) => set({ ...fields, escalateToId: e.target.value })} {...invalid(`${id}-escalate`, problem.fields.escalateToId)}>
          <option value="">{t('admin.queues.escalateOnCall')}</option>
          {setup.staff.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
        <FieldError id={`${id}-escalate-error`} message={problem.fields.escalateToId} />
      </div>
    </>
  );
}

const queueBody = (f: QueueFields) => ({
  name: f.name.trim(),
  departmentId: f.departmentId || null,
  assignment: f.assignment,
  memberIds: f.memberIds,
  escalateToId: f.escalateToId || null,
});

function Queues({ setup, saved, onSaved }: { setup: Setup; saved: string | null; onSaved: (queues: Queue[], message: string) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const blank: QueueFields = { name: '', departmentId: '', assignment: 'off', memberIds: [], escalateToId: '' };
  const [fields, setFields] = useState<QueueFields>(blank);
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const queueList = useRef<HTMLUListElement>(null);
  const lastEditing = useRef<string | null>(null);
  if (editing) lastEditing.current = editing;
  useReturnFocus(editing !== null, () => queueList.current?.querySelector<HTMLElement>(`[data-queue="${lastEditing.current}"]`));
  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!fields.name.trim()) return setProblem({ form: t('admin.errors.validation'), fields: { name: t('admin.errors.field.required') } });
    setBusy(true);
    setProblem(noProblem);
    try {
      const q = await api.call('queues.create', { body: queueBody(fields) });
      setFields(blank);
      onSaved([...setup.queues, q], t('admin.queues.created', { name: q.name }));
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  const names = new Map(setup.staff.map((u) => [u.id, u.name]));
  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.queues.title')}</h2>
      <p className="hint">{t('admin.queues.intro')}</p>
      <Saved text={saved} />
      {setup.queues.length === 0 ? (
        <p>{t('admin.queues.empty')}</p>
      ) : (
        <ul className="admin-list" aria-label={t('admin.queues.title')} ref={queueList}>
          {setup.queues.map((q) =>
            editing === q.id ? (
              <QueueEdit
                key={q.id}
                queue={q}
                setup={setup}
                onDone={(changed) => {
                  setEditing(null);
                  if (changed) onSaved(setup.queues.map((x) => (x.id === changed.id ? changed : x)), t('admin.queues.saved', { name: changed.name }));
                }}
              />
            ) : (
              <li key={q.id} className="admin-item" data-testid="queue">
                <h3 className="admin-item__title">{q.name}</h3>
                <p className="admin-item__meta">
                  {setup.departments.find((d) => d.id === q.departmentId)?.name ?? t('admin.common.noDepartment')} · {t(`admin.queues.assignments.${q.assignment}`)} ·{' '}
                  {q.memberIds.length ? q.memberIds.map((m) => names.get(m) ?? '').join(', ') : t('admin.queues.nobody')}
                </p>
                <div className="admin-actions">
                  <button type="button" className="button button--secondary button--small" data-queue={q.id} onClick={() => setEditing(q.id)} aria-label={t('admin.queues.editOf', { name: q.name })}>
                    {t('admin.common.edit')}
                  </button>
                </div>
              </li>
            ),
          )}
        </ul>
      )}
      <h3>{t('admin.queues.newTitle')}</h3>
      <form className="form admin-form" onSubmit={(e) => void create(e)} noValidate aria-busy={busy} aria-label={t('admin.queues.newTitle')}>
        <FormMessage problem={problem} />
        <QueueForm id={id} fields={fields} set={setFields} setup={setup} problem={problem} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t('admin.common.saving') : t('admin.queues.create')}
        </button>
      </form>
    </section>
  );
}

function QueueEdit({ queue, setup, onDone }: { queue: Queue; setup: Setup; onDone: (q: Queue | null) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [fields, setFields] = useState<QueueFields>({
    name: queue.name,
    departmentId: queue.departmentId ?? '',
    assignment: queue.assignment,
    memberIds: queue.memberIds,
    escalateToId: queue.escalateToId ?? '',
  });
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!fields.name.trim()) return setProblem({ form: t('admin.errors.validation'), fields: { name: t('admin.errors.field.required') } });
    setBusy(true);
    setProblem(noProblem);
    try {
      onDone(await api.call('queues.update', { params: { id: queue.id }, body: queueBody(fields) }));
    } catch (err) {
      setProblem(problemOf(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="admin-item">
      <form className="form admin-form" onSubmit={(e) => void save(e)} noValidate aria-busy={busy} aria-label={t('admin.queues.editOf', { name: queue.name })}>
        <FormMessage problem={problem} />
        <QueueForm id={id} fields={fields} set={setFields} setup={setup} problem={problem} focus />
        <div className="admin-actions">
          <button type="submit" className="button button--small" disabled={busy}>
            {busy ? t('admin.common.saving') : t('admin.common.save')}
          </button>
          <button type="button" className="button button--secondary button--small" onClick={() => onDone(null)}>
            {t('admin.common.cancel')}
          </button>
        </div>
      </form>
    </li>
  );
}

interface RuleRow {
  key: number;
  topic: string;
  departmentId: string;
  careTeamId: string;
  queueId: string;
}

function Rules({ setup, saved, onSaved }: { setup: Setup; saved: string | null; onSaved: (rules: Setup['rules']) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const counter = useRef(0);
  const row = (r: Partial<Omit<RuleRow, 'key'>> = {}): RuleRow => ({ key: ++counter.current, topic: r.topic ?? '', departmentId: r.departmentId ?? '', careTeamId: r.careTeamId ?? '', queueId: r.queueId ?? '' });
  const [rows, setRows] = useState<RuleRow[]>(() => setup.rules.map((r) => row({ topic: r.topic ?? '', departmentId: r.departmentId ?? '', careTeamId: r.careTeamId ?? '', queueId: r.queueId })));
  const [problem, setProblem] = useState<FormProblem>(noProblem);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<number | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);
  const lastRemoving = useRef<number | null>(null);
  if (removing !== null) lastRemoving.current = removing;
  useReturnFocus(removing !== null, () => list.current?.querySelector<HTMLElement>(`[data-remove="${lastRemoving.current}"]`) ?? addButton.current);

  const change = (key: number, patch: Partial<RuleRow>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const move = (i: number, by: number) => {
    const next = [...rows];
    const [r] = next.splice(i, 1);
    next.splice(i + by, 0, r!);
    setRows(next);
    setProblem(noProblem);
    // Keep the keyboard on the same button of the moved rule.
    requestAnimationFrame(() => list.current?.querySelector<HTMLButtonElement>(`[data-rule="${r!.key}"][data-move="${by < 0 ? 'up' : 'down'}"]:not(:disabled)`)?.focus());
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const fields: Record<string, string> = {};
    rows.forEach((r, i) => {
      if (!r.queueId) fields[`rules/${i}/queueId`] = t('admin.rules.chooseQueue');
    });
    if (Object.keys(fields).length) return setProblem({ form: t('admin.rules.invalid'), fields });
    setBusy(true);
    setProblem(noProblem);
    try {
      const saved = await api.call('routing.rules.replace', {
        body: {
          rules: rows.map((r) => ({
            ...(r.topic ? { topic: r.topic } : {}),
            ...(r.departmentId ? { departmentId: r.departmentId } : {}),
            ...(r.careTeamId ? { careTeamId: r.careTeamId } : {}),
            queueId: r.queueId,
          })),
        },
      });
      onSaved(saved.rules);
    } catch (err) {
      const p = problemOf(err, t);
      setProblem(p.code === 'validation_failed' ? { ...p, form: t('admin.rules.invalid') } : p);
    } finally {
      setBusy(false);
    }
  };
  const select = (r: RuleRow, i: number, field: 'topic' | 'departmentId' | 'careTeamId' | 'queueId', label: string, any: string, options: { value: string; label: string }[]) => {
    const fid = `${id}-${r.key}-${field}`;
    const error = problem.fields[`rules/${i}/${field}`];
    return (
      <div className="field">
        <label htmlFor={fid}>{label}</label>
        <select id={fid} value={r[field]} onChange={(e) => change(r.key, { [field]: e.target.value })} {...invalid(fid, error)}>
          <option value="">{any}</option>
          {/* A value the lists no longer have (e.g. a topic taken away) stays visible, so the error can name it. */}
          {r[field] && !options.some((o) => o.value === r[field]) && <option value={r[field]}>{t('admin.rules.unknown')}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        <FieldError id={`${fid}-error`} message={error} />
      </div>
    );
  };
  return (
    <section className="admin-card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('admin.rules.title')}</h2>
      <p className="hint">{t('admin.rules.intro')}</p>
      <form className="form admin-form" onSubmit={(e) => void save(e)} noValidate aria-busy={busy}>
        <FormMessage problem={problem} />
        {rows.length === 0 && <p>{t('admin.rules.empty')}</p>}
        <ol className="admin-rules" ref={list}>
          {rows.map((r, i) => (
            <li key={r.key} className="admin-rule" data-testid="rule">
              <fieldset className="admin-fieldset">
                <legend>{t('admin.rules.ruleN', { n: i + 1 })}</legend>
                <div className="admin-rule__fields">
                  {select(r, i, 'topic', t('admin.rules.topic'), t('admin.rules.anyTopic'), setup.topics.map((x) => ({ value: x, label: topicLabel(t, x) })))}
                  {select(r, i, 'departmentId', t('admin.rules.department'), t('admin.rules.anyDepartment'), setup.departments.map((d) => ({ value: d.id, label: d.name })))}
                  {select(r, i, 'careTeamId', t('admin.rules.careTeam'), t('admin.rules.anyCareTeam'), setup.careTeams.map((c) => ({ value: c.id, label: c.name })))}
                  {select(r, i, 'queueId', t('admin.rules.queue'), t('admin.rules.chooseQueueOption'), setup.queues.map((q) => ({ value: q.id, label: q.name })))}
                </div>
                <div className="admin-actions">
                  <button type="button" className="button button--secondary button--small" data-rule={r.key} data-move="up" disabled={i === 0} onClick={() => move(i, -1)} aria-label={t('admin.rules.upOf', { n: i + 1 })}>
                    {t('admin.rules.up')}
                  </button>
                  <button type="button" className="button button--secondary button--small" data-rule={r.key} data-move="down" disabled={i === rows.length - 1} onClick={() => move(i, 1)} aria-label={t('admin.rules.downOf', { n: i + 1 })}>
                    {t('admin.rules.down')}
                  </button>
                  <button type="button" className="button button--secondary button--small" data-remove={r.key} onClick={() => setRemoving(r.key)} aria-label={t('admin.rules.removeOf', { n: i + 1 })}>
                    {t('admin.common.remove')}
                  </button>
                </div>
                {removing === r.key && (
                  <Confirm
                    question={t('admin.rules.removeConfirm', { n: i + 1 })}
                    action={t('admin.rules.removeYes')}
                    onConfirm={() => {
                      setRows(rows.filter((x) => x.key !== r.key));
                      setRemoving(null);
                      setProblem(noProblem);
                    }}
                    onCancel={() => setRemoving(null)}
                  />
                )}
              </fieldset>
            </li>
          ))}
        </ol>
        <div className="admin-actions">
          <button type="button" className="button button--secondary" ref={addButton} onClick={() => setRows([...rows, row()])}>
            {t('admin.rules.add')}
          </button>
          <button type="submit" className="button" disabled={busy}>
            {busy ? t('admin.common.saving') : t('admin.rules.save')}
          </button>
        </div>
        <Saved text={saved} />
        <p className="hint">{t('admin.rules.saveHint')}</p>
      </form>
    </section>
  );
}
