import type { Logger } from 'pino';
import type { InboxCounts, ServerFrame } from '@haven/api';
import type { Subscriber } from './event.service.js';

/** Where the counts come from (the inbox service, with the same query and visibility as `inbox.counts`). */
export interface InboxCountsSource {
  counts(sub: Subscriber): Promise<InboxCounts>;
}

/** Event kinds after which a staff member's inbox counts may have changed. */
export const INBOX_COUNT_EVENTS: ReadonlySet<string> = new Set([
  'message.created',
  'message.retracted',
  'thread.created',
  'thread.updated',
  'access.changed',
  'patient.archived',
  'patient.unarchived',
]);

export interface InboxCountsOptions {
  /** How often dirty users are looked at. */
  tickMs: number;
  /** The least time between two computations for one user: events in between are coalesced into one. */
  minIntervalMs: number;
}

/**
 * Live inbox counters: a provider or staff member with an open event socket gets an `inbox.counts` frame (every view's
 * count) when the socket is ready, and again after events that may change their inbox. However many such events
 * arrive, one user's counts are computed at most once per `minIntervalMs` on this node, and only while they are
 * connected here; computations run one at a time. The frame is state, not an event: it is not in the ordered stream,
 * and a reconnecting client gets fresh counts when its socket is ready.
 */
export class InboxCountsPusher {
  private readonly dirty = new Set<string>();
  private readonly lastAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly source: InboxCountsSource,
    /** An open socket's subscriber for this user on this node, if any. */
    private readonly connected: (userId: string) => Subscriber | undefined,
    private readonly send: (userId: string, frame: ServerFrame) => void,
    private readonly logger: Logger,
    private readonly opts: InboxCountsOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.dirty.clear();
    await this.running;
  }

  /** These users' counts may have changed (or they just connected). */
  touch(userIds: Iterable<string>): void {
    for (const id of userIds) this.dirty.add(id);
  }

  /** A user with no socket left here: forget them. */
  forget(userId: string): void {
    this.dirty.delete(userId);
    this.lastAt.delete(userId);
  }

  private tick(): void {
    if (this.running || this.dirty.size === 0) return;
    this.running = this.flush().finally(() => (this.running = undefined));
  }

  private async flush(): Promise<void> {
    const now = Date.now();
    for (const userId of [...this.dirty]) {
      if (now - (this.lastAt.get(userId) ?? 0) < this.opts.minIntervalMs) continue;
      this.dirty.delete(userId);
      const sub = this.connected(userId);
      if (!sub) {
        this.lastAt.delete(userId);
        continue;
      }
      this.lastAt.set(userId, now);
      try {
        const counts = await this.source.counts(sub);
        if (this.connected(userId)) this.send(userId, { type: 'inbox.counts', counts });
      } catch (err) {
        // A session that ended meanwhile, a role that changed: the socket check closes it; nothing to send.
        this.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'inbox counts for a socket failed');
      }
    }
  }
}
