import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Template } from '@haven/api';
import { api } from '../lib/api.js';

interface Props {
  threadId: string;
  /** The thread's topic: templates for it and for any topic are offered. */
  topic: string | null;
  /** Puts the filled-in text into the composer for review; `missing` names variables that had no value. */
  onInsert(text: string, missing: string[]): void;
}

/**
 * Staff: the practice's quick replies and templates (`templates.list`), filled in for this thread on the server
 * (`templates.render`: the patient's name and so on) and put into the composer to read and change before sending.
 * Nothing is sent from here.
 */
export function TemplatePicker({ threadId, topic, onInsert }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (!open || templates) return;
    api.call('templates.list', { query: {} }).then(
      (r) => setTemplates(r.items.filter((x) => !x.archived && (x.topic === null || x.topic === topic))),
      () => setFailed(true),
    );
  }, [open, templates, topic]);

  const use = async (template: Template) => {
    setBusy(template.id);
    setFailed(false);
    try {
      const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const r = await api.call('templates.render', { params: { templateId: template.id }, body: { threadId, ...(timeZone ? { timeZone } : {}) } });
      onInsert(r.text, r.missing);
      setOpen(false);
    } catch {
      setFailed(true);
    } finally {
      setBusy(null);
    }
  };

  const group = (kind: Template['kind'], title: string) => {
    const items = templates?.filter((x) => x.kind === kind) ?? [];
    if (items.length === 0) return null;
    return (
      <section aria-labelledby={`${id}-${kind}`}>
        <h3 id={`${id}-${kind}`} className="templates__title">
          {title}
        </h3>
        <ul className="templates__list">
          {items.map((x) => (
            <li key={x.id}>
              <button type="button" className="button button--small button--secondary templates__item" disabled={busy !== null} onClick={() => void use(x)}>
                <span className="templates__name">{x.name}</span>
                <span className="templates__preview">{x.body}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
    );
  };

  return (
    <div className="templates" data-testid="template-picker">
      <button type="button" className="button button--small button--secondary" aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen((o) => !o)}>
        {open ? t('templates.hide') : t('templates.show')}
      </button>
      {open && (
        <div id={`${id}-panel`} className="templates__panel">
          {failed && (
            <p className="field-error" role="alert">
              {t('app.errorGeneric')}
            </p>
          )}
          {!templates && !failed && <p className="hint">{t('app.loading')}</p>}
          {templates?.length === 0 && <p className="hint">{t('templates.none')}</p>}
          {group('quick_reply', t('templates.quickReplies'))}
          {group('template', t('templates.templates'))}
        </div>
      )}
    </div>
  );
}
