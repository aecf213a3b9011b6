import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import type { Message } from '@haven/api';
import type { PendingMessage } from '../hooks/useThread.js';
import { MessageRow, rowId, type Row } from './MessageRow.js';

interface Props {
  messages: Message[];
  pending: PendingMessage[];
  me: string;
  /** Staff see role names and internal notes; patients see "Care team". */
  staffView: boolean;
  /** There are older messages on the server; scrolling near the top asks for them. */
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder(): void;
  onRetry(id: string): void;
  onDropFile(id: string): void;
  onEdit(messageId: string, body: string): Promise<void>;
  onRetract(messageId: string): Promise<void>;
  /** Staff: more tools under each message (reactions, mark clinically relevant). Keep it stable (useCallback): rows are memoized. */
  extraActions?: (m: Message) => ReactNode;
}

const remPx = (): number => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;

/** Rows this close to the top of what is loaded start loading the previous page. */
const LOAD_AHEAD = 5;
/** "At the bottom" within this many pixels: new messages then keep the newest in view. */
const STICK_PX = 80;

/**
 * The history, oldest at the top and newest at the bottom, in its own scrolling region. Only the rows near the
 * visible part are in the page (a virtualized list, @tanstack/react-virtual, measuring each row's real height), so a
 * thread of thousands of messages scrolls as smoothly as a short one. Scrolling near the top loads the previous page
 * and keeps what you were reading where it was. New messages keep the newest in view when you are at the bottom
 * (or sent them yourself); otherwise a button offers to jump to them.
 *
 * Every text is rendered as text (React escapes it; no HTML is ever interpreted), so a message cannot inject markup
 * or script. New messages are announced politely (role="log").
 */
export function MessageList({ messages, pending, me, staffView, hasOlder, loadingOlder, onLoadOlder, onRetry, onDropFile, onEdit, onRetract, extraActions }: Props) {
  const { t } = useTranslation();
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useMemo<Row[]>(() => [...messages.map((message): Row => ({ kind: 'message', message })), ...pending.map((p): Row => ({ kind: 'pending', pending: p }))], [messages, pending]);
  // The retry handler changes with every render of the page; rows get a stable one (they are memoized).
  const retryRef = useRef(onRetry);
  retryRef.current = onRetry;
  const retry = useCallback((id: string) => retryRef.current(id), []);
  const dropRef = useRef(onDropFile);
  dropRef.current = onDropFile;
  const dropFile = useCallback((id: string) => dropRef.current(id), []);

  // The row that holds the keyboard focus (an open edit form, a button) stays in the page while it is scrolled away,
  // so focus and anything typed there are never lost.
  const focusedId = useRef<string | null>(null);
  const onFocusIn = (e: React.FocusEvent) => {
    focusedId.current = (e.target as HTMLElement).closest<HTMLElement>('[data-row-id]')?.dataset.rowId ?? null;
  };
  const rangeExtractor = (range: Range): number[] => {
    const indexes = defaultRangeExtractor(range);
    const focused = focusedId.current === null ? -1 : rows.findIndex((r) => rowId(r) === focusedId.current);
    if (focused >= 0 && !indexes.includes(focused)) return [...indexes, focused].sort((a, b) => a - b);
    return indexes;
  };

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 110,
    // The space between rows (0.75rem): rows are placed by offset, so the gap is the virtualizer's.
    gap: remPx() * 0.75,
    // Room above the oldest and below the newest row, inside the scrolling region.
    paddingStart: remPx() * 0.75,
    paddingEnd: remPx() * 0.75,
    overscan: 12,
    getItemKey: (i) => rowId(rows[i]!),
    rangeExtractor,
  });
  const items = virtualizer.getVirtualItems();

  // Where the reader is: at the bottom (follow new messages) or reading back.
  const atBottom = useRef(true);
  // The view has reached the newest once since the history (re)loaded: until then the scroll events are the list
  // positioning itself at the newest (rows measured as they render), not the reader scrolling back.
  const settled = useRef(false);
  const [newBelow, setNewBelow] = useState(false);
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (atBottom.current) {
      settled.current = true;
      setNewBelow(false);
    }
  };
  if (rows.length === 0) {
    settled.current = false;
    atBottom.current = true;
  }

  const toNewest = useCallback(() => {
    if (rows.length === 0) return;
    virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    atBottom.current = true;
    setNewBelow(false);
  }, [rows.length, virtualizer]);

  // The newest message changed (first page, a new message, your own send): follow it if the reader is at the bottom.
  const newest = rows.length > 0 ? rows[rows.length - 1]! : null;
  const newestId = newest ? rowId(newest) : null;
  const newestIsMine = newest?.kind === 'pending' || (newest?.kind === 'message' && newest.message.senderId === me);
  useEffect(() => {
    if (newestId === null) return;
    if (atBottom.current || newestIsMine) toNewest();
    else setNewBelow(true);
    // Deliberately keyed on the newest row only (toNewest changes with every row count).
  }, [newestId, newestIsMine]);

  // An older page arrived above: keep the row that was at the top of the view where it was.
  const firstId = rows.length > 0 ? rowId(rows[0]!) : null;
  const anchor = useRef<{ id: string; offset: number } | null>(null);
  useLayoutEffect(() => {
    const a = anchor.current;
    anchor.current = null;
    if (!a || a.id === firstId) return;
    const index = rows.findIndex((r) => rowId(r) === a.id);
    const start = index >= 0 ? virtualizer.getOffsetForIndex(index, 'start')?.[0] : undefined;
    if (start !== undefined) virtualizer.scrollToOffset(start - a.offset);
  }, [firstId]);

  // Near the top of what is loaded: ask for the previous page (once at a time), remembering the reading position.
  const firstVisible = items[0]?.index ?? 0;
  useEffect(() => {
    if (!hasOlder || loadingOlder || rows.length === 0 || firstVisible > LOAD_AHEAD || atBottom.current || !settled.current) return;
    const el = scroller.current;
    const top = items.find((i) => i.end > (el?.scrollTop ?? 0)) ?? items[0];
    if (top) anchor.current = { id: String(top.key), offset: top.start - (el?.scrollTop ?? 0) };
    onLoadOlder();
  }, [firstVisible, hasOlder, loadingOlder, rows.length]);

  return (
    <div className="messages-frame">
      {/* The region scrolls by keyboard too (it is focusable); screen readers hear new messages as they arrive. */}
      <div
        ref={scroller}
        className="messages-scroll"
        role="log"
        aria-live="polite"
        aria-relevant="additions"
        aria-label={t('thread.history')}
        tabIndex={0}
        onScroll={onScroll}
        onFocus={onFocusIn}
        data-testid="message-log"
        data-count={rows.length}
      >
        {/* Each row is placed at its offset. React sets sizes and offsets through the DOM (CSSOM), which the
            style-src CSP allows; there is no inline style markup. */}
        <ol className="messages" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => (
            <MessageRow key={item.key} row={rows[item.index]!} index={item.index} start={item.start} measure={virtualizer.measureElement} me={me} staffView={staffView} onRetry={retry} onDropFile={dropFile} onEdit={onEdit} onRetract={onRetract} extraActions={extraActions} />
          ))}
        </ol>
      </div>
      {newBelow && (
        <button type="button" className="button button--small messages-new-below" onClick={toNewest}>
          {t('thread.newBelow')}
        </button>
      )}
    </div>
  );
}
