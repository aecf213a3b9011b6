import { useCallback, useEffect, useRef, useState } from 'react';
import type { LiveEvent, Message, Thread } from '@haven/api';
import { api, isApiError, newId } from '../lib/api.js';
import { useEvents } from './useEvents.js';

/** A message written here that the server has not confirmed yet (shown at once; retried with the same id). */
export interface PendingMessage {
  id: string;
  body: string;
  internal: boolean;
  /** Staff: colleagues mentioned (internal notes and internal conversations). */
  mentions?: string[];
  status: 'sending' | 'failed';
  createdAt: string;
  /** Files to send with it, uploaded for its id before the message itself; `uploaded` of them are on the server. */
  files?: File[];
  uploaded?: number;
  /** The file the server refused (type, size, limit), by index in `files`, and the problem code. */
  refused?: { index: number; code: string };
}

export interface ThreadState {
  thread: Thread | null;
  /** Oldest first (the newest at the bottom). */
  messages: Message[];
  pending: PendingMessage[];
  hasOlder: boolean;
  loadingOlder: boolean;
  error: unknown;
  loadOlder(): Promise<void>;
  send(body: string, opts?: { internal?: boolean; mentions?: string[]; files?: File[] }): Promise<void>;
  /** A message whose file was refused: send it without that file. */
  dropRefusedFile(id: string): Promise<void>;
  retry(id: string): Promise<void>;
  /** Re-reads the thread (its workflow after assign or close). */
  refreshThread(): Promise<void>;
  /** Changes the text of one of your messages (the other side sees it live, marked edited). */
  edit(messageId: string, body: string): Promise<void>;
  /** Staff: takes back one of your messages (the patient no longer sees it; staff see it marked removed). */
  retract(messageId: string): Promise<void>;
}

const PAGE = 30;
// ISO timestamps of one format order as strings; ids break ties. (Plain comparison: localeCompare is far slower.)
const before = (a: Message, b: Message) => a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);
const byTime = (a: Message, b: Message) => (before(a, b) ? -1 : before(b, a) ? 1 : 0);

/** One message in (a live event, a send): replaced where it is, or put in its place (usually the end). */
function upsert(list: Message[], m: Message): Message[] {
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i]!.id !== m.id) continue;
    if (list[i]!.version > m.version) return list; // an older copy arrived late
    const next = list.slice();
    next[i] = m;
    return next;
  }
  let at = list.length;
  while (at > 0 && before(m, list[at - 1]!)) at--;
  return [...list.slice(0, at), m, ...list.slice(at)];
}

/** A page of messages in (first page, older pages): one pass and one sort, however long the history already is. */
function merge(list: Message[], page: readonly Message[]): Message[] {
  const byId = new Map(list.map((m, i) => [m.id, i]));
  const next = list.slice();
  const added: Message[] = [];
  for (const m of page) {
    const i = byId.get(m.id);
    if (i === undefined) added.push(m);
    else if (next[i]!.version <= m.version) next[i] = m;
  }
  return added.length === 0 ? next : [...next, ...added].sort(byTime);
}

/**
 * One thread's history and its live changes: the latest page, older pages by cursor, sends that show at once and
 * are retried with the same client id (never duplicated), new messages, edits, retractions and read receipts from
 * the event stream, and read receipts sent for what the reader has on screen.
 */
export function useThread(threadId: string, me: string): ThreadState {
  const [thread, setThread] = useState<Thread | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [pending, setPending] = useState<PendingMessage[]>([]);
  const [olderCursor, setOlderCursor] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const lastRead = useRef<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setThread(null);
    setMessages([]);
    setPending([]);
    setError(null);
    lastRead.current = null;
    Promise.all([api.call('threads.get', { params: { threadId } }), api.call('messages.list', { params: { threadId }, query: { limit: PAGE } })]).then(
      ([t, page]) => {
        if (cancelled) return;
        setThread(t);
        setMessages((current) => merge(current, page.items));
        setOlderCursor(page.nextCursor);
      },
      (err: unknown) => !cancelled && setError(err),
    );
    return () => {
      cancelled = true;
    };
  }, [threadId]);

  // Read receipts: the newest message from someone else, once it is on screen (the tab visible).
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  useEffect(() => {
    const latest = [...messages].reverse().find((m) => m.senderId !== me);
    if (!latest || !visible || lastRead.current === latest.id) return;
    lastRead.current = latest.id;
    api.call('messages.receipts', { params: { threadId }, body: { messageId: latest.id, status: 'read' } }).catch(() => {
      lastRead.current = null;
    });
  }, [messages, me, threadId, visible]);

  useEvents((event: LiveEvent) => {
    if (event.threadId !== threadId) return;
    if (event.message && (event.type === 'message.created' || event.type === 'message.edited' || event.type === 'message.retracted' || event.type === 'message.reaction')) {
      const m = event.message;
      setMessages((list) => upsert(list, m));
      setPending((list) => list.filter((p) => p.id !== m.id));
    }
    // A patient is told only that a message was taken back (no message): it leaves their history.
    if (event.type === 'message.retracted' && !event.message && event.messageId) {
      const gone = event.messageId;
      setMessages((list) => list.filter((m) => m.id !== gone));
    }
    if (event.type === 'receipts.updated' && event.receipts) {
      const { userId, status, uptoMessageId } = event.receipts;
      setMessages((list) => {
        const upto = list.find((m) => m.id === uptoMessageId);
        if (!upto) return list;
        return list.map((m) => {
          if (m.senderId === userId || m.createdAt > upto.createdAt) return m;
          const others = m.receipts.filter((r) => r.userId !== userId);
          const own = m.receipts.find((r) => r.userId === userId) ?? { userId, deliveredAt: null, readAt: null };
          const updated = status === 'read' ? { ...own, readAt: own.readAt ?? event.at, deliveredAt: own.deliveredAt ?? event.at } : { ...own, deliveredAt: own.deliveredAt ?? event.at };
          return { ...m, receipts: [...others, updated] };
        });
      });
    }
    if (event.type === 'thread.updated' && event.workflow) {
      const workflow = event.workflow;
      setThread((t) => (t ? { ...t, workflow } : t));
    }
  });

  const loadOlder = useCallback(async () => {
    if (!olderCursor || loadingOlder) return;
    setLoadingOlder(true);
    try {
      const page = await api.call('messages.list', { params: { threadId }, query: { limit: PAGE, before: olderCursor } });
      setMessages((current) => merge(current, page.items));
      setOlderCursor(page.nextCursor);
    } finally {
      setLoadingOlder(false);
    }
  }, [olderCursor, loadingOlder, threadId]);

  const deliver = useCallback(
    async (p: PendingMessage) => {
      const update = (changes: Partial<PendingMessage>) => setPending((list) => list.map((x) => (x.id === p.id ? { ...x, ...changes } : x)));
      update({ status: 'sending', refused: undefined });
      const files = p.files ?? [];
      let uploaded = p.uploaded ?? 0;
      try {
        // The files first, for the message's id (only the sender sees them until the message exists), then the message.
        for (; uploaded < files.length; uploaded++) {
          const f = files[uploaded]!;
          try {
            await api.uploadAttachment(threadId, p.id, { data: f, fileName: f.name, contentType: f.type || 'application/octet-stream' });
          } catch (err) {
            // Refused for what the file is (type, size, too many): trying again would not help; say which file.
            if (isApiError(err) && [409, 413, 415].includes(err.status)) {
              update({ status: 'failed', uploaded, refused: { index: uploaded, code: err.code } });
              return;
            }
            throw err;
          }
          update({ uploaded: uploaded + 1 });
        }
        const message = await api.call('messages.create', { params: { threadId }, body: { id: p.id, body: p.body, ...(p.internal ? { internal: true } : {}), ...(p.mentions?.length ? { mentions: p.mentions } : {}) } });
        setMessages((list) => upsert(list, message));
        setPending((list) => list.filter((x) => x.id !== p.id));
      } catch {
        update({ status: 'failed', uploaded });
      }
    },
    [threadId],
  );

  const send = useCallback(
    async (body: string, opts: { internal?: boolean; mentions?: string[]; files?: File[] } = {}) => {
      const p: PendingMessage = {
        id: newId(),
        body,
        internal: opts.internal ?? false,
        ...(opts.mentions ? { mentions: opts.mentions } : {}),
        ...(opts.files?.length ? { files: opts.files, uploaded: 0 } : {}),
        status: 'sending',
        createdAt: new Date().toISOString(),
      };
      setPending((list) => [...list, p]);
      await deliver(p);
    },
    [deliver],
  );

  const retry = useCallback(
    async (id: string) => {
      const p = pending.find((x) => x.id === id);
      if (p) await deliver(p); // the same id: the server answers with the stored message if the first try got through
    },
    [pending, deliver],
  );

  const dropRefusedFile = useCallback(
    async (id: string) => {
      const p = pending.find((x) => x.id === id);
      if (!p?.refused || !p.files) return;
      const index = p.refused.index;
      const next: PendingMessage = { ...p, files: p.files.filter((_, i) => i !== index), refused: undefined };
      setPending((list) => list.map((x) => (x.id === id ? next : x)));
      await deliver(next);
    },
    [pending, deliver],
  );

  const refreshThread = useCallback(async () => {
    setThread(await api.call('threads.get', { params: { threadId } }));
  }, [threadId]);

  const edit = useCallback(
    async (messageId: string, body: string) => {
      const message = await api.call('messages.edit', { params: { threadId, messageId }, body: { body } });
      setMessages((list) => upsert(list, message));
    },
    [threadId],
  );

  const retract = useCallback(
    async (messageId: string) => {
      const message = await api.call('messages.retract', { params: { threadId, messageId }, body: {} });
      setMessages((list) => upsert(list, message));
    },
    [threadId],
  );

  return { thread, messages, pending, hasOlder: olderCursor !== null, loadingOlder, error, loadOlder, send, retry, dropRefusedFile, refreshThread, edit, retract };
}
