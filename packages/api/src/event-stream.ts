import type { LiveEvent, ServerFrame } from './events.js';
import type { Message, MessageCreate } from './messaging.js';
import type { HavenClient } from './client.js';

/** The part of the WebSocket API the stream uses (the browser's WebSocket, or the `ws` package in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface EventStreamOptions {
  /** Defaults to the global WebSocket (browsers, Node 22+); pass the `ws` package's class in Node 20. */
  WebSocket?: WebSocketConstructor;
  /** Resume after this cursor (the last event's `cursor` you processed). */
  cursor?: string;
  onEvent?: (event: LiveEvent) => void;
  /** Every frame, events included (typing, presence, errors...). */
  onFrame?: (frame: ServerFrame) => void;
  /** The socket closed; `willReconnect` when the stream opens a new one by itself. */
  onClose?: (info: { code: number; reason: string; willReconnect: boolean }) => void;
  /** Reconnect (with the last cursor) after a drop; never after a sign-out (4401). Default true. */
  reconnect?: boolean;
}

/** Close codes after which reconnecting cannot help. */
const FINAL = new Set([4401, 4400, 1008]);

/**
 * A user's live event stream. It keeps the cursor of the last event, resumes from it after a drop (so nothing is
 * missed or repeated), and sends messages, receipts and typing indicators over the socket.
 */
export class EventStream {
  cursor: string | undefined;
  private ws: WebSocketLike | undefined;
  private nextRef = 0;
  private readonly pending = new Map<string, { resolve: (f: ServerFrame) => void; reject: (e: Error) => void }>();
  private closedByUser = false;
  private attempts = 0;

  constructor(
    private readonly client: HavenClient,
    private readonly opts: EventStreamOptions = {},
  ) {
    this.cursor = opts.cursor;
  }

  /** Opens the socket; resolves once missed events are replayed (the `ready` frame). */
  async open(): Promise<void> {
    this.closedByUser = false;
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error('No WebSocket implementation: pass one in the options');
    const url = new URL(this.client.eventsUrl());
    if (this.client.token) url.searchParams.set('ticket', (await this.client.call('events.ticket')).ticket);
    if (this.cursor) url.searchParams.set('cursor', this.cursor);
    const ws = new Ctor(url.toString());
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      ws.onmessage = (ev) => {
        const frame = JSON.parse(String(ev.data)) as ServerFrame;
        if (frame.type === 'event') this.cursor = frame.event.cursor;
        if (frame.type === 'ready') {
          this.cursor = frame.cursor;
          this.attempts = 0;
          ready = true;
          resolve();
        }
        if ((frame.type === 'sent' || frame.type === 'ok' || frame.type === 'pong' || frame.type === 'error') && frame.ref) {
          const waiter = this.pending.get(frame.ref);
          if (waiter) {
            this.pending.delete(frame.ref);
            if (frame.type === 'error') waiter.reject(Object.assign(new Error(frame.message), { code: frame.code, status: frame.status }));
            else waiter.resolve(frame);
          }
        }
        this.opts.onFrame?.(frame);
        if (frame.type === 'event') this.opts.onEvent?.(frame.event);
      };
      ws.onerror = () => undefined;
      ws.onclose = (ev) => {
        for (const w of this.pending.values()) w.reject(new Error(`socket closed (${ev.code})`));
        this.pending.clear();
        const willReconnect = !this.closedByUser && (this.opts.reconnect ?? true) && !FINAL.has(ev.code) && ready;
        this.opts.onClose?.({ code: ev.code, reason: ev.reason, willReconnect });
        if (!ready) reject(Object.assign(new Error(`event socket closed before ready (${ev.code} ${ev.reason})`), { code: ev.code }));
        if (willReconnect) {
          const delay = Math.min(30_000, 250 * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
          setTimeout(() => void this.open().catch(() => undefined), delay);
        }
      };
    });
  }

  close(): void {
    this.closedByUser = true;
    this.ws?.close(1000, 'bye');
  }

  private request(frame: Record<string, unknown>): Promise<ServerFrame> {
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return Promise.reject(new Error('event socket is not open'));
    const ref = `r${++this.nextRef}`;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      ws.send(JSON.stringify({ ...frame, ref }));
    });
  }

  /** Sends a message over the socket; idempotent by `message.id` like messages.create. */
  async send(threadId: string, message: MessageCreate): Promise<{ message: Message; replayed: boolean }> {
    const f = await this.request({ type: 'send', threadId, message });
    if (f.type !== 'sent') throw new Error(`unexpected answer ${f.type}`);
    return { message: f.message, replayed: f.replayed };
  }

  async receipt(threadId: string, messageId: string, status: 'delivered' | 'read'): Promise<void> {
    await this.request({ type: 'receipt', threadId, messageId, status });
  }

  /** `internal`: typing an internal note (providers and staff see it, the patient does not). */
  typing(threadId: string, typing = true, opts: { internal?: boolean } = {}): void {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify({ type: 'typing', threadId, typing, ...(opts.internal ? { internal: true } : {}) }));
  }

  /** Sends a raw frame (for tests of the server's handling of bad input). */
  sendRaw(data: string): void {
    this.ws?.send(data);
  }
}
