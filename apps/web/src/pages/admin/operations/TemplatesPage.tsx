import { useEffect, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { Template, TemplateKind } from '@haven/api';
import { api } from '../../../lib/api.js';
import { topicLabel } from '../../../lib/format.js';
import { ConfirmAction, errorAt, FieldError, invalidProps, LoadState, OpsFrame, SaveOutcome, useLoad, useSave, useTopics, type Audience, focusById } from './common.js';

interface Draft {
  id: string | null;
  name: string;
  kind: TemplateKind;
  topic: string;
  body: string;
}
const EMPTY: Draft = { id: null, name: '', kind: 'template', topic: '', body: '' };

/**
 * Templates and quick replies. Admins: the practice's (every provider and staff member uses them). Providers and
 * staff ("My templates"): their own. Create, edit, archive and bring back; variables from `templates.variables`.
 */
export default function TemplatesPage({ who }: { who: Audience }) {
  const { t } = useTranslation();
  const scope = who === 'admin' ? 'organization' : 'personal';
  const [archived, setArchived] = useState(false);
  const list = useLoad(() => api.call('templates.list', { query: { scope, archived } }).then((r) => r.items), [scope, archived]);
  const topics = useTopics();
  const variables = useLoad(() => api.call('templates.variables').then((r) => r.items), []);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [actionProblem, setActionProblem] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const [notice, setNotice] = useState('');
  const formHeading = useRef<HTMLHeadingElement>(null);

  const edit = (x: Template) => {
    setNotice('');
    setDraft({ id: x.id, name: x.name, kind: x.kind, topic: x.topic ?? '', body: x.body });
    setTimeout(() => formHeading.current?.focus(), 0);
  };
  const setArchivedOf = async (x: Template, value: boolean) => {
    setActionProblem(null);
    try {
      await api.call('templates.update', { params: { templateId: x.id }, body: { archived: value } });
      list.reload();
      focusById('template-list-title');
    } catch {
      setActionProblem(t('operations.templates.archiveFailed'));
    }
  };

  return (
    <OpsFrame
      who={who}
      title={who === 'admin' ? t('operations.templates.title') : t('operations.templates.myTitle')}
      intro={who === 'admin' ? t('operations.templates.intro') : t('operations.templates.myIntro')}
    >
      <section className="ops__section" aria-labelledby="template-list-title">
        <h2 id="template-list-title" tabIndex={-1}>{archived ? t('operations.templates.archivedTitle') : t('operations.templates.inUseTitle')}</h2>
        <div className="ops__check">
          <input id="show-archived" type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} />
          <label htmlFor="show-archived">{t('operations.templates.showArchived')}</label>
        </div>
        <LoadState loaded={list} />
        {list.data && list.data.length === 0 && <p>{archived ? t('operations.templates.emptyArchived') : t('operations.templates.empty')}</p>}
        {actionProblem && (
          <p className="form-error" role="alert">
            {actionProblem}
          </p>
        )}
        {list.data && list.data.length > 0 && (
          <ul className="ops__list" data-testid="template-list">
            {list.data.map((x) => (
              <li key={x.id} className="ops__item" data-testid="template">
                <div className="ops__item-main">
                  <p className="ops__item-title">{x.name}</p>
                  <p className="hint">
                    {x.kind === 'quick_reply' ? t('operations.templates.quickReply') : t('operations.templates.template')} · {x.topic ? topicLabel(t, x.topic) : t('operations.templates.anyTopic')}
                  </p>
                  <p className="ops__preview">{x.body}</p>
                </div>
                <div className="ops__item-actions">
                  {!x.archived && (
                    <button type="button" className="button button--small button--secondary" aria-label={t('operations.templates.edit', { name: x.name })} onClick={() => edit(x)}>
                      {t('operations.templates.editShort')}
                    </button>
                  )}
                  {x.archived ? (
                    <button type="button" className="button button--small button--secondary" aria-label={t('operations.templates.restore', { name: x.name })} onClick={() => void setArchivedOf(x, false)}>
                      {t('operations.templates.restoreShort')}
                    </button>
                  ) : (
                    <ConfirmAction
                      label={t('operations.templates.archive', { name: x.name })}
                      shortLabel={t('operations.templates.archiveShort')}
                      question={t('operations.templates.archiveQuestion', { name: x.name })}
                      confirmLabel={t('operations.templates.archiveConfirm')}
                      onConfirm={() => setArchivedOf(x, true)}
                    />
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <p role="status" className="ops__saved" data-testid="template-notice">
        {notice}
      </p>
      <TemplateForm
        key={`${draft.id ?? 'new'}-${round}`}
        scope={scope}
        draft={draft}
        topics={topics.data ?? []}
        variables={variables.data ?? []}
        headingRef={formHeading}
        onDone={(name) => {
          setNotice(t('operations.templates.savedNotice', { name }));
          setRound((r) => r + 1);
          setDraft(EMPTY);
          list.reload();
        }}
        onCancel={() => setDraft(EMPTY)}
      />
      {who === 'admin' && <PracticePhone />}
    </OpsFrame>
  );
}

function TemplateForm(props: {
  scope: 'organization' | 'personal';
  draft: Draft;
  topics: string[];
  variables: { name: string; description: string; example: string }[];
  headingRef: RefObject<HTMLHeadingElement | null>;
  onDone(name: string): void;
  onCancel(): void;
}) {
  const { t } = useTranslation();
  const [d, setD] = useState<Draft>(props.draft);
  const save = useSave();
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const nameError = errorAt(save.problem, '/name');
  const bodyError = errorAt(save.problem, '/body');
  const topicError = errorAt(save.problem, '/topic');
  const editing = d.id !== null;

  const insert = (name: string) => {
    const box = bodyRef.current;
    const token = `{${name}}`;
    const at = box?.selectionStart ?? d.body.length;
    const end = box?.selectionEnd ?? at;
    setD({ ...d, body: d.body.slice(0, at) + token + d.body.slice(end) });
    setTimeout(() => {
      box?.focus();
      box?.setSelectionRange(at + token.length, at + token.length);
    }, 0);
  };

  return (
    <section className="ops__section" aria-labelledby="template-form-title">
      <h2 id="template-form-title" ref={props.headingRef} tabIndex={-1}>
        {editing ? t('operations.templates.editTitle', { name: props.draft.name }) : t('operations.templates.newTitle')}
      </h2>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const common = { name: d.name.trim(), kind: d.kind, body: d.body };
          void save
            .run(() =>
              d.id
                ? api.call('templates.update', { params: { templateId: d.id }, body: { ...common, topic: d.topic || null } })
                : api.call('templates.create', { body: { ...common, scope: props.scope, ...(d.topic ? { topic: d.topic } : {}) } }),
            )
            .then((ok) => ok && props.onDone(common.name));
        }}
      >
        <div className="field">
          <label htmlFor="template-name">{t('operations.templates.name')}</label>
          <input id="template-name" value={d.name} maxLength={100} onChange={(e) => setD({ ...d, name: e.target.value })} {...invalidProps(nameError, 'template-name-error')} />
          <FieldError id="template-name-error" message={nameError} />
        </div>
        <fieldset className="ops__choice">
          <legend>{t('operations.templates.kind')}</legend>
          <div className="ops__check">
            <input id="kind-template" type="radio" name="template-kind" checked={d.kind === 'template'} onChange={() => setD({ ...d, kind: 'template' })} />
            <label htmlFor="kind-template">{t('operations.templates.template')}</label>
          </div>
          <div className="ops__check">
            <input id="kind-quick" type="radio" name="template-kind" checked={d.kind === 'quick_reply'} onChange={() => setD({ ...d, kind: 'quick_reply' })} />
            <label htmlFor="kind-quick">{t('operations.templates.quickReplyLong')}</label>
          </div>
        </fieldset>
        <div className="field">
          <label htmlFor="template-topic">{t('operations.templates.topic')}</label>
          <select id="template-topic" className="ops__select" value={d.topic} onChange={(e) => setD({ ...d, topic: e.target.value })} {...invalidProps(topicError, 'template-topic-error')}>
            <option value="">{t('operations.templates.anyTopic')}</option>
            {props.topics.map((x) => (
              <option key={x} value={x}>
                {topicLabel(t, x)}
              </option>
            ))}
          </select>
          <FieldError id="template-topic-error" message={topicError} />
        </div>
        <div className="field">
          <label htmlFor="template-body">{t('operations.templates.body')}</label>
          <p className="hint" id="template-body-hint">
            {t('operations.templates.bodyHint')}
          </p>
          <textarea id="template-body" ref={bodyRef} rows={6} maxLength={5000} value={d.body} onChange={(e) => setD({ ...d, body: e.target.value })} {...invalidProps(bodyError, 'template-body-error', 'template-body-hint')} />
          <FieldError id="template-body-error" message={bodyError} />
        </div>
        {props.variables.length > 0 && (
          <details className="ops__variables">
            <summary>{t('operations.templates.variables')}</summary>
            <ul className="ops__list">
              {props.variables.map((v) => (
                <li key={v.name} className="ops__variable">
                  <button type="button" className="button button--small button--secondary" onClick={() => insert(v.name)}>
                    {t('operations.templates.insert', { name: `{${v.name}}` })}
                  </button>
                  <span>
                    {v.description} <span className="hint">({t('operations.templates.example', { example: v.example })})</span>
                  </span>
                </li>
              ))}
            </ul>
          </details>
        )}
        <div className="ops__actions">
          <button type="submit" className="button" disabled={save.busy}>
            {save.busy ? t('operations.saving') : editing ? t('operations.templates.saveChanges') : t('operations.templates.create')}
          </button>
          {editing && (
            <button type="button" className="button button--secondary" onClick={props.onCancel}>
              {t('operations.templates.cancelEdit')}
            </button>
          )}
          <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => ['/name', '/body', '/topic'].includes(p)} />
        </div>
      </form>
    </section>
  );
}

/** The practice's phone number, which templates bring in as {practice.phone} (`organization.update`). */
function PracticePhone() {
  const { t } = useTranslation();
  const org = useLoad(() => api.call('organization.get'), []);
  const [phone, setPhone] = useState('');
  const save = useSave();
  useEffect(() => {
    if (org.data) setPhone(org.data.practicePhone ?? '');
  }, [org.data]);
  const error = errorAt(save.problem, '/practicePhone');
  return (
    <section className="ops__section" aria-labelledby="practice-phone-title">
      <h2 id="practice-phone-title">{t('operations.templates.phoneTitle')}</h2>
      <LoadState loaded={org} />
      {org.data && (
        <form
          className="form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save.run(async () => org.set(await api.call('organization.update', { body: { practicePhone: phone.trim() === '' ? null : phone.trim() } })));
          }}
        >
          <div className="field">
            <label htmlFor="practice-phone">{t('operations.templates.phone')}</label>
            <p className="hint" id="practice-phone-hint">
              {t('operations.templates.phoneHint')}
            </p>
            <input id="practice-phone" className="ops__short" type="tel" autoComplete="off" value={phone} maxLength={40} onChange={(e) => setPhone(e.target.value)} {...invalidProps(error, 'practice-phone-error', 'practice-phone-hint')} />
            <FieldError id="practice-phone-error" message={error} />
          </div>
          <div className="ops__actions">
            <button type="submit" className="button button--secondary" disabled={save.busy}>
              {save.busy ? t('operations.saving') : t('operations.templates.phoneSave')}
            </button>
            <SaveOutcome problem={save.problem} saved={save.saved} shown={(p) => p === '/practicePhone'} />
          </div>
        </form>
      )}
    </section>
  );
}
