import { useEffect, useId, useState, type KeyboardEvent, type ReactNode, type RefObject, type SyntheticEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { loadColleagues, type Colleague } from './colleagues.js';

const QUERY = /(^|\s)@([^\s@]{0,30})$/u;

export interface MentionInput {
  /** Spread onto the text box. */
  inputProps: {
    onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>): void;
    onSelect(e: SyntheticEvent<HTMLTextAreaElement>): void;
    'aria-activedescendant'?: string;
    'aria-controls'?: string;
  };
  /** The suggestions (under the box) and who will be told. */
  list: ReactNode;
  /** The colleagues a text mentions (`@Full Name`). */
  ids(text: string): string[];
}

/**
 * @mentions in a staff text box: typing "@" and the start of a name offers colleagues (arrow keys and Enter, or a
 * click); the chosen name is written into the text as "@Full Name", and the message is sent with their ids so the
 * server tells them (internal notes and internal conversations only). Colleagues load on the first "@".
 */
export function useMentionInput(enabled: boolean, body: string, setBody: (v: string) => void, box: RefObject<HTMLTextAreaElement | null>): MentionInput {
  const { t } = useTranslation();
  const id = useId();
  const [colleagues, setColleagues] = useState<Colleague[] | null>(null);
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);

  // The caret as the box has it now (typing moves it before any select event), else the last one seen.
  const at = box.current && document.activeElement === box.current ? box.current.selectionStart : caret;
  const before = body.slice(0, Math.min(at, body.length));
  const match = enabled ? QUERY.exec(before) : null;
  const query = match ? match[2]!.toLowerCase() : null;
  useEffect(() => {
    if (query !== null && colleagues === null) loadColleagues().then(setColleagues, () => setColleagues([]));
  }, [query, colleagues]);
  const suggestions =
    query !== null && colleagues && dismissed !== before
      ? colleagues.filter((c) => query === '' || c.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(query)) || c.name.toLowerCase().startsWith(query)).slice(0, 8)
      : [];
  const open = suggestions.length > 0;
  const current = Math.min(active, Math.max(0, suggestions.length - 1));

  const pick = (c: Colleague) => {
    const start = before.length - (match![2]!.length + 1);
    const next = `${body.slice(0, start)}@${c.name} ${body.slice(before.length)}`;
    setBody(next);
    const pos = start + c.name.length + 2;
    setCaret(pos);
    setActive(0);
    requestAnimationFrame(() => {
      box.current?.focus();
      box.current?.setSelectionRange(pos, pos);
    });
  };

  const ids = (text: string): string[] => (colleagues ?? []).filter((c) => text.includes(`@${c.name}`)).map((c) => c.id);
  const chosen = enabled ? (colleagues ?? []).filter((c) => body.includes(`@${c.name}`)) : [];

  const inputProps: MentionInput['inputProps'] = {
    onSelect: (e) => setCaret(e.currentTarget.selectionStart ?? 0),
    onKeyDown: (e) => {
      if (!open) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((current + (e.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length);
      } else if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pick(suggestions[current]!);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        setDismissed(before);
      }
    },
    ...(open ? { 'aria-activedescendant': `${id}-opt-${current}`, 'aria-controls': `${id}-list` } : {}),
  };

  const list = enabled ? (
    <>
      <p className="visually-hidden" aria-live="polite">
        {open ? t('staffThread.mentions.suggestions', { count: suggestions.length }) : ''}
      </p>
      {open && (
        <ul id={`${id}-list`} role="listbox" className="mention-list" aria-label={t('staffThread.mentions.listLabel')} data-testid="mention-suggestions">
          {suggestions.map((c, i) => (
            <li
              key={c.id}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === current}
              className={i === current ? 'mention-list__item mention-list__item--active' : 'mention-list__item'}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(c);
              }}
            >
              {c.name} <span className="hint">({t(`staffThread.mentions.role.${c.role}`)})</span>
            </li>
          ))}
        </ul>
      )}
      {chosen.length > 0 && (
        <p className="hint" data-testid="mention-chosen">
          {t('staffThread.mentions.willNotify', { names: chosen.map((c) => c.name).join(', ') })}
        </p>
      )}
      {!open && <p className="hint">{t('staffThread.mentions.hint')}</p>}
    </>
  ) : null;

  return { inputProps, list, ids };
}
