import WebSocket from 'ws';
import type { EventStream, HavenClient, LiveEvent, ServerFrame, WebSocketConstructor } from '@haven/api';

/** An open event stream that records every frame and close, for tests. */
export interface Listener {
  stream: EventStream;
  frames: ServerFrame[];
  closes: { code: number; reason: string }[];
  events(): LiveEvent[];
  /** Resolves with the first recorded frame (past or future) matching, or fails after `ms`. */
  waitFor<T extends ServerFrame>(match: (f: ServerFrame) => f is T, ms?: number): Promise<T>;
  waitFor(match: (f: ServerFrame) => boolean, ms?: number): Promise<ServerFrame>;
  waitClosed(ms?: number): Promise<{ code: number; reason: string }>;
}

export async function listen(client: HavenClient, opts: { cursor?: string; reconnect?: boolean } = {}): Promise<Listener> {
  const frames: ServerFrame[] = [];
  const closes: { code: number; reason: string }[] = [];
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  const stream = client.events({
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    cursor: opts.cursor,
    reconnect: opts.reconnect ?? false,
    onFrame: (f) => {
      frames.push(f);
      notify();
    },
    onClose: (c) => {
      closes.push({ code: c.code, reason: c.reason });
      notify();
    },
  });
  await stream.open();
  const until = <T>(get: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const v = get();
        if (v !== undefined) {
          watchers.delete(check);
          clearTimeout(timer);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      watchers.add(check);
      check();
    });
  return {
    stream,
    frames,
    closes,
    events: () => frames.flatMap((f) => (f.type === 'event' ? [f.event] : [])),
    waitFor: (match: (f: ServerFrame) => boolean, ms = 5000) => until(() => frames.find(match), ms, 'a frame'),
    waitClosed: (ms = 5000) => until(() => closes[0], ms, 'the socket to close'),
  } as Listener;
}

export const isEvent =
  (type: LiveEvent['type'], messageId?: string) =>
  (f: ServerFrame): f is Extract<ServerFrame, { type: 'event' }> =>
    f.type === 'event' && f.event.type === type && (messageId === undefined || f.event.messageId === messageId);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens a raw socket (no SDK) and reports how it ended: the HTTP status of a refused upgrade, or the close code. */
export function rawSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; opened: boolean; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ ws, opened: true }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, opened: false, status: res.statusCode }));
    ws.on('error', () => resolve({ ws, opened: false }));
  });
}

export function closeOf(ws: WebSocket, ms = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket did not close')), ms);
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
