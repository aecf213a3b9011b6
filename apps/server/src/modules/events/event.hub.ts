import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import { ClientFrame, CloseCodes } from '@haven/api';
import { SUBJECTS, type Bus } from '../../platform/bus/bus.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { MessageService } from '../messages/message.service.js';
import { isClinical, isStaffRole, seesInternalMessages } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import { EventConnection } from './event.connection.js';
import { INBOX_COUNT_EVENTS, InboxCountsPusher, type InboxCountsSource } from './inbox-counts.pusher.js';
import type { RelayBatch } from './event.relay.js';
import type { EventService, PreparedEvent, Subscriber } from './event.service.js';

const clientFrame = Compile(ClientFrame);
/** One validator per frame type, so a malformed frame is told which field is wrong, not only that no type matched. */
const frameValidators = new Map(
  (ClientFrame.anyOf as { properties: { type: { const: string } } }[]).map((variant) => [variant.properties.type.const, Compile(variant as never)] as const),
);

function frameProblem(frame: unknown): string {
  const type = (frame as { type?: unknown } | null)?.type;
  const validator = typeof type === 'string' ? frameValidators.get(type) : undefined;
  if (!validator) return `Unknown frame type; use one of: ${[...frameValidators.keys()].join(', ')}`;
  const first = validator.Errors(frame)[0];
  return first ? `${first.instancePath || '/'}: ${first.message}` : 'Malformed frame';
}
const HEARTBEAT_MS = 5_000;
const HOUSEKEEPING_MS = 60_000;
const TYPING_EVERY_MS = 2_000;
const PROTOCOL_PING_MS = 30_000;

type Ephemeral =
  | { kind: 'typing'; threadId: string; userId: string; typing: boolean; audience: string[] }
  | { kind: 'presence'; orgId: string; userId: string; status: 'online' | 'away' };

export interface HubOptions {
  sessionCheckMs: number;
  framesPerSecond: number;
}

/**
 * This node's event sockets. It receives the relay's batches from the bus and hands each event to the sockets of
 * its audience (the relay decided who may see it when it was published); it replays a reconnecting socket's missed
 * events from the database; it re-checks every socket's session a few times a second and closes those that ended;
 * it carries typing indicators and staff presence, which are not stored.
 */
export class EventHub {
  readonly nodeId = randomUUID();
  private readonly byUser = new Map<string, Set<EventConnection>>();
  private lastTo: bigint | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private checking = false;
  /** What this node last wrote to the presence table, per user (true: connected here). */
  private readonly presenceKnown = new Map<string, boolean>();
  private readonly presenceQueue = new Map<string, Promise<void>>();
  /** Live inbox counters for the providers and staff connected here (see useInboxCounts). */
  private inboxCounts: InboxCountsPusher | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly events: EventService,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly logger: Logger,
    private readonly opts: HubOptions,
  ) {}

  /** Pushes `inbox.counts` frames to connected providers and staff (call before start). */
  useInboxCounts(source: InboxCountsSource, opts = { tickMs: 250, minIntervalMs: 2_000 }): void {
    this.inboxCounts = new InboxCountsPusher(
      source,
      (userId) => [...(this.byUser.get(userId) ?? [])].find((c) => !c.closed)?.sub,
      (userId, frame) => {
        for (const conn of this.byUser.get(userId) ?? []) if (!conn.closed && !conn.replaying) conn.send(frame);
      },
      this.logger,
      opts,
    );
  }

  async start(): Promise<void> {
    await this.events.heartbeat(this.nodeId);
    this.inboxCounts?.start();
    this.unsubscribe.push(this.bus.subscribe(SUBJECTS.events, (payload) => this.enqueue(() => this.onBatch(JSON.parse(payload) as RelayBatch))));
    this.unsubscribe.push(this.bus.subscribe(SUBJECTS.ephemeral, (payload) => this.onEphemeral(JSON.parse(payload) as Ephemeral)));
    this.bus.onResync(() => this.enqueue(() => this.resyncAll()));
    this.every(HEARTBEAT_MS, () => this.events.heartbeat(this.nodeId));
    this.every(HOUSEKEEPING_MS, () => this.events.housekeeping());
    this.every(this.opts.sessionCheckMs, () => this.checkSessions());
    this.every(PROTOCOL_PING_MS, async () => {
      for (const conn of this.connections()) {
        if ((conn.ws as WebSocket & { havenAlive?: boolean }).havenAlive === false) conn.ws.terminate();
        else {
          (conn.ws as WebSocket & { havenAlive?: boolean }).havenAlive = false;
          conn.ws.ping();
        }
      }
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const u of this.unsubscribe) u();
    for (const conn of this.connections()) conn.close(CloseCodes.goingAway, 'server shutting down; reconnect with your cursor');
    await this.inboxCounts?.stop();
    await this.chain;
    await this.events.dropNode(this.nodeId).catch(() => undefined);
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  private every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err: Error) => this.logger.error({ err: { message: err.message } }, 'event hub task failed'))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Batches and resyncs run one at a time, in arrival order. */
  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: Error) => this.logger.error({ err: { message: err.message } }, 'event delivery failed'));
  }

  private *connections(): Iterable<EventConnection> {
    for (const set of this.byUser.values()) yield* set;
  }

  /** A new socket: registered first (so it holds live events), then replayed from its cursor, then live. */
  async attach(ws: WebSocket, sub: Subscriber, address: string | null, cursor: string | undefined): Promise<void> {
    const conn = new EventConnection(ws, sub, address, this.opts.framesPerSecond);
    let set = this.byUser.get(sub.userId);
    if (!set) this.byUser.set(sub.userId, (set = new Set()));
    set.add(conn);
    (ws as WebSocket & { havenAlive?: boolean }).havenAlive = true;
    ws.on('pong', () => ((ws as WebSocket & { havenAlive?: boolean }).havenAlive = true));
    ws.on('message', (data, isBinary) => void this.onFrame(conn, data, isBinary));
    ws.on('close', () => void this.detach(conn));
    ws.on('error', () => undefined);
    try {
      const { head, prunedTo } = await this.events.streamBounds();
      let from = cursor;
      if (from !== undefined && BigInt(from) < BigInt(prunedTo)) {
        conn.send({ type: 'error', code: 'cursor_expired', status: 410, message: 'Events after this cursor are no longer kept; reload through the API' });
        from = undefined;
      }
      if (from === undefined) conn.cursor = BigInt(head);
      else await this.replay(conn, from);
      conn.send({ type: 'ready', cursor: conn.cursor.toString() });
      conn.endReplay();
      if (isClinical(sub.role)) this.inboxCounts?.touch([sub.userId]);
      await this.syncPresence(sub);
      if (isStaffRole(sub.role)) {
        for (const userId of await this.events.connectedStaff(sub.orgId)) {
          if (userId !== sub.userId) conn.send({ type: 'presence', userId, status: 'online' });
        }
      }
    } catch (err) {
      this.logger.error({ err: { message: (err as Error).message } }, 'event socket setup failed');
      conn.close(1011, 'internal error');
    }
  }

  private async replay(conn: EventConnection, from: string): Promise<void> {
    let after = from;
    conn.cursor = conn.cursor > BigInt(from) ? conn.cursor : BigInt(from);
    for (;;) {
      const page = await this.events.replayPage(conn.sub, after);
      for (const ev of page.events) conn.deliver(ev, false);
      after = page.scannedTo;
      if (BigInt(after) > conn.cursor) conn.cursor = BigInt(after);
      if (page.done || conn.closed) return;
    }
  }

  private async detach(conn: EventConnection): Promise<void> {
    conn.closed = true;
    const set = this.byUser.get(conn.sub.userId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.byUser.delete(conn.sub.userId);
      this.inboxCounts?.forget(conn.sub.userId);
    }
    await this.syncPresence(conn.sub);
  }

  /**
   * Brings this node's presence row for a user in line with its sockets now. Calls for one user run one after
   * another and each looks at the sockets when it runs, so a socket that closes while it is still replaying can
   * never leave the user "connected" (which would also hold back their notifications).
   */
  private syncPresence(sub: Subscriber): Promise<void> {
    const next = (this.presenceQueue.get(sub.userId) ?? Promise.resolve()).then(async () => {
      const online = [...(this.byUser.get(sub.userId) ?? [])].some((c) => !c.closed && !c.replaying);
      if ((this.presenceKnown.get(sub.userId) ?? false) === online) return;
      try {
        await this.presenceChanged(sub, online);
        if (online) this.presenceKnown.set(sub.userId, true);
        else this.presenceKnown.delete(sub.userId);
      } catch (err) {
        this.logger.error({ err: { message: (err as Error).message } }, 'presence update failed');
      }
    });
    this.presenceQueue.set(sub.userId, next);
    void next.finally(() => {
      if (this.presenceQueue.get(sub.userId) === next) this.presenceQueue.delete(sub.userId);
    });
    return next;
  }

  private async presenceChanged(sub: Subscriber, online: boolean): Promise<void> {
    await this.events.setPresent(this.nodeId, sub, online);
    if (!isStaffRole(sub.role)) return;
    // Away only when no node holds a socket of theirs any more.
    if (!online && (await this.events.connectedUsers([sub.userId])).has(sub.userId)) return;
    this.bus.publish(SUBJECTS.ephemeral, JSON.stringify({ kind: 'presence', orgId: sub.orgId, userId: sub.userId, status: online ? 'online' : 'away' } satisfies Ephemeral));
  }

  private async onBatch(batch: RelayBatch): Promise<void> {
    const from = BigInt(batch.from);
    // A batch that does not start where the last one ended means the bus dropped something: catch up from the database.
    if (this.lastTo !== undefined && from > this.lastTo) await this.resyncAll();
    const to = BigInt(batch.to);
    if (this.lastTo === undefined || to > this.lastTo) this.lastTo = to;
    const local = batch.events.filter((e) => e.audience.some((u) => this.byUser.has(u)));
    if (local.length === 0) return;
    const prepared = await this.events.prepare(local);
    for (const ev of prepared) this.offer(ev);
    if (this.inboxCounts) {
      for (const ev of local) {
        if (!INBOX_COUNT_EVENTS.has(ev.kind)) continue;
        this.inboxCounts.touch(ev.audience.filter((u) => [...(this.byUser.get(u) ?? [])].some((c) => isClinical(c.sub.role))));
      }
    }
  }

  private offer(ev: PreparedEvent): void {
    for (const userId of ev.audience) {
      const set = this.byUser.get(userId);
      if (set) for (const conn of set) conn.offer(ev);
    }
  }

  /** Every socket replays from its own cursor (live events are held meanwhile). */
  private async resyncAll(): Promise<void> {
    const conns = [...this.connections()].filter((c) => !c.closed && !c.replaying);
    for (const conn of conns) conn.replaying = true;
    for (const conn of conns) {
      await this.replay(conn, conn.cursor.toString()).catch(() => conn.close(1011, 'internal error'));
      conn.endReplay();
    }
  }

  private onEphemeral(e: Ephemeral): void {
    if (e.kind === 'typing') {
      for (const userId of e.audience) {
        if (userId === e.userId) continue;
        for (const conn of this.byUser.get(userId) ?? []) if (!conn.replaying) conn.send({ type: 'typing', threadId: e.threadId, userId: e.userId, typing: e.typing });
      }
      return;
    }
    for (const set of this.byUser.values()) {
      for (const conn of set) {
        if (conn.sub.orgId === e.orgId && conn.sub.userId !== e.userId && isStaffRole(conn.sub.role)) conn.send({ type: 'presence', userId: e.userId, status: e.status });
      }
    }
  }

  /** Closes, within one check interval, every socket whose session was revoked, expired, idled out or deactivated. */
  private async checkSessions(): Promise<void> {
    if (this.checking || this.byUser.size === 0) return;
    this.checking = true;
    try {
      const conns = [...this.connections()];
      const ids = [...new Set(conns.map((c) => c.sub.sessionId))];
      const live = new Set<string>();
      for (let i = 0; i < ids.length; i += 5000) for (const id of await this.events.liveSessions(ids.slice(i, i + 5000))) live.add(id);
      for (const conn of conns) if (!live.has(conn.sub.sessionId)) conn.close(CloseCodes.unauthenticated, 'session ended');
    } finally {
      this.checking = false;
    }
  }

  private async onFrame(conn: EventConnection, data: RawData, isBinary: boolean): Promise<void> {
    if (conn.closed || !conn.admit()) {
      if (!conn.closed) conn.send({ type: 'error', code: 'too_many_requests', status: 429, message: 'Slow down' });
      return;
    }
    let frame: unknown;
    try {
      if (isBinary) throw new Error('binary');
      frame = JSON.parse((data as Buffer).toString('utf8'));
    } catch {
      conn.invalid();
      return conn.send({ type: 'error', code: 'invalid_frame', status: 400, message: 'Frames are JSON text' });
    }
    if (!clientFrame.Check(frame)) {
      conn.invalid();
      const ref = typeof (frame as { ref?: unknown })?.ref === 'string' ? String((frame as { ref: string }).ref).slice(0, 64) : undefined;
      return conn.send({ type: 'error', ref, code: 'invalid_frame', status: 400, message: frameProblem(frame) });
    }
    const f = frame;
    if (f.type === 'ping') return conn.send({ type: 'pong', ref: f.ref });
    const ref = 'ref' in f ? f.ref : undefined;
    try {
      // Acting for the user: the session must still be valid, and this counts as their activity.
      const actor = await this.events.subscriberForSession(conn.sub.sessionId, true);
      const ctx: RequestContext = { actor, address: conn.address, requestId: randomUUID() };
      switch (f.type) {
        case 'send': {
          const { message, replayed } = await this.messages.send(ctx, f.threadId, f.message);
          return conn.send({ type: 'sent', ref: f.ref, message, replayed });
        }
        case 'receipt':
          await this.messages.markReceipts(ctx, f.threadId, { messageId: f.messageId, status: f.status });
          if (f.ref) conn.send({ type: 'ok', ref: f.ref });
          return;
        case 'typing': {
          const last = conn.typingSentAt.get(f.threadId) ?? 0;
          const typing = f.typing ?? true;
          if (typing && Date.now() - last < TYPING_EVERY_MS) return;
          conn.typingSentAt.set(f.threadId, typing ? Date.now() : 0);
          await this.threads.require(ctx, f.threadId, 'threads.read');
          const audience = ((await this.threads.audience([f.threadId], [actor.orgId])).get(f.threadId) ?? []).filter((v) => !f.internal || seesInternalMessages(v.role));
          this.bus.publish(SUBJECTS.ephemeral, JSON.stringify({ kind: 'typing', threadId: f.threadId, userId: actor.userId, typing, audience: audience.map((v) => v.userId) } satisfies Ephemeral));
          return;
        }
      }
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError('internal_error');
      if (!(err instanceof AppError)) this.logger.error({ err: { message: (err as Error).message } }, 'event socket frame failed');
      conn.send({ type: 'error', ref, code: e.code, status: e.status, message: e.detail ?? e.message });
      if (e.status === 401) conn.close(CloseCodes.unauthenticated, 'session ended');
    }
  }
}
