import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api } from '../../lib/api.js';
import '../../styles/staff.css';

/** The inbox's order as last shown (thread ids only, in memory): j/k on a thread page move along it. */
let inboxOrder: string[] = [];

const LINKS = '[data-testid="inbox-list"] a.thread-item__link';
const threadIdOf = (a: Element | null): string | null => a?.getAttribute('href')?.match(/\/staff\/threads\/([0-9a-f-]+)/)?.[1] ?? null;

/** Keys typed into a field, or with a modifier, are never shortcuts. */
function typing(e: KeyboardEvent): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return true;
  const el = e.target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.closest('dialog') !== null;
}

/**
 * Keyboard shortcuts of the staff dashboard, on the inbox and on a thread page: j/k next and previous conversation,
 * a assign to me, c close, g then i the inbox, ? this list. Never while typing in a field; every one of them is
 * also a button or link on the page. The list opens in a dialog inside the page (focus moves into it and back).
 */
export function StaffShortcuts({ scope, threadId }: { scope: 'inbox' | 'thread'; threadId?: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const pendingG = useRef(0);
  const [said, setSaid] = useState('');

  // Remember the inbox's order after every render of the inbox.
  useEffect(() => {
    if (scope !== 'inbox') return;
    const ids = [...document.querySelectorAll(LINKS)].map(threadIdOf).filter((x): x is string => x !== null);
    if (ids.length > 0) inboxOrder = ids;
  });

  useEffect(() => {
    const act = async (op: 'threads.claim' | 'threads.close', id: string) => {
      try {
        await api.call(op, { params: { threadId: id }, body: {} });
        setSaid(op === 'threads.claim' ? t('staffThread.shortcuts.assigned') : t('staffThread.shortcuts.closed'));
      } catch {
        setSaid(t('staffThread.shortcuts.failed'));
      }
    };
    const focusedInboxThread = (): string | null => threadIdOf(document.activeElement?.closest('a.thread-item__link') ?? null);
    const move = async (step: 1 | -1) => {
      if (scope === 'inbox') {
        const links = [...document.querySelectorAll<HTMLAnchorElement>(LINKS)];
        if (links.length === 0) return;
        const i = links.findIndex((a) => a === document.activeElement);
        const next = i === -1 ? (step === 1 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, i + step));
        links[next]!.focus();
        return;
      }
      if (!threadId) return;
      let order = inboxOrder;
      if (!order.includes(threadId)) {
        try {
          order = (await api.call('inbox.list', { query: { view: 'mine', limit: 50 } })).items.map((x) => x.id);
        } catch {
          order = [];
        }
      }
      const i = order.indexOf(threadId);
      const target = i === -1 ? order[0] : order[i + step];
      if (target && target !== threadId) void navigate(`/staff/threads/${target}`);
      else setSaid(step === 1 ? t('staffThread.shortcuts.last') : t('staffThread.shortcuts.first'));
    };
    const onKey = (e: KeyboardEvent) => {
      if (typing(e)) return;
      const now = Date.now();
      if (e.key === '?') {
        e.preventDefault();
        opener.current = document.activeElement as HTMLElement | null;
        dialog.current?.showModal();
        return;
      }
      if (e.key === 'g') {
        pendingG.current = now;
        return;
      }
      if (e.key === 'i' && now - pendingG.current < 1500) {
        pendingG.current = 0;
        e.preventDefault();
        void navigate('/staff/inbox');
        return;
      }
      pendingG.current = 0;
      if (e.key === 'j' || e.key === 'k') {
        e.preventDefault();
        void move(e.key === 'j' ? 1 : -1);
      } else if (e.key === 'a' || e.key === 'c') {
        const id = scope === 'thread' ? (threadId ?? null) : focusedInboxThread();
        if (!id) {
          setSaid(t('staffThread.shortcuts.chooseFirst'));
          return;
        }
        e.preventDefault();
        void act(e.key === 'a' ? 'threads.claim' : 'threads.close', id);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [scope, threadId, navigate, t]);

  const close = () => {
    dialog.current?.close();
  };
  return (
    <div className="shortcuts">
      <button
        type="button"
        className="button button--small button--secondary"
        onClick={(e) => {
          opener.current = e.currentTarget;
          dialog.current?.showModal();
        }}
      >
        {t('staffThread.shortcuts.open')}
      </button>
      <p className="visually-hidden" role="status" data-testid="shortcut-status">
        {said}
      </p>
      <dialog ref={dialog} className="shortcuts__dialog" aria-labelledby="shortcuts-title" onClose={() => opener.current?.focus()} data-testid="shortcuts-help">
        <h2 id="shortcuts-title">{t('staffThread.shortcuts.title')}</h2>
        <p>{t('staffThread.shortcuts.intro')}</p>
        <dl className="shortcuts__list">
          <dt>
            <kbd>j</kbd> / <kbd>k</kbd>
          </dt>
          <dd>{t('staffThread.shortcuts.jk')}</dd>
          <dt>
            <kbd>a</kbd>
          </dt>
          <dd>{t('staffThread.shortcuts.a')}</dd>
          <dt>
            <kbd>c</kbd>
          </dt>
          <dd>{t('staffThread.shortcuts.c')}</dd>
          <dt>
            <kbd>g</kbd> <kbd>i</kbd>
          </dt>
          <dd>{t('staffThread.shortcuts.gi')}</dd>
          <dt>
            <kbd>?</kbd>
          </dt>
          <dd>{t('staffThread.shortcuts.help')}</dd>
        </dl>
        <button type="button" className="button" onClick={close}>
          {t('staffThread.shortcuts.close')}
        </button>
      </dialog>
    </div>
  );
}
