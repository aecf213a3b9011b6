import type { Logger } from 'pino';
import { SUBJECTS, type Bus } from '../../platform/bus/bus.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { seesInternalMessages } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { EventOutbox } from './event.outbox.js';
import type { EventStore, StoredEvent } from './event.store.js';

/** An event on its way to the nodes, with who may see it (decided now, at delivery, from current access). */
export interface RelayedEvent extends StoredEvent {
  audience: string[];
}

/** One publication: every event with from < position <= to, in order. Nodes detect gaps by chaining from/to. */
export interface RelayBatch {
  from: string;
  to: string;
  events: RelayedEvent[];
}

/**
 * Side effects that follow events after commit (notifications, later integrations). Called at least once per
 * event (again after a relay fail-over), so they must be idempotent; three failures in a row are logged and skipped.
 */
export type EventListener = (events: StoredEvent[]) => Promise<void>;

const BATCH = 1000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * The outbox relay. Every node runs one; an advisory lock makes one of them the leader. The leader gives
 * committed events their stream positions (so positions follow commit order), works out each event's audience,
 * publishes them on the bus and hands them to the listeners. A new leader first re-publishes whatever the last
 * one positioned but may not have published, so a crash loses nothing (nodes drop what they already have).
 */
export class EventRelay {
  private stopped = false;
  private leading = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private loop: Promise<void> | undefined;
  private readonly listeners: EventListener[] = [];
  private sideEffects: Promise<void> = Promise.resolve();
  private sideEffectsDoneTo = '0';
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly db: Db,
    private readonly store: EventStore,
    private readonly threads: ThreadService,
    private readonly bus: Bus,
    outbox: EventOutbox,
    private readonly logger: Logger,
    private readonly opts: { pollMs: number; electionMs: number; retentionDays: number },
  ) {
    // A commit on this node wakes the relay here if it leads, or wherever it runs.
    this.unsubscribe.push(outbox.onCommitted(() => (this.leading ? this.wake() : this.bus.publish(SUBJECTS.relayWake, ''))));
    this.unsubscribe.push(this.bus.subscribe(SUBJECTS.relayWake, () => this.leading && this.wake()));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  onEvents(listener: EventListener): void {
    this.listeners.push(listener);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.wake();
    await this.loop;
  }

  private wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    }).then(() => {
      this.woken = false;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.db.connection().execute(async (conn) => {
          if (!(await this.store.tryLeadership(conn))) return;
          try {
            this.leading = true;
            await this.lead(conn);
          } finally {
            this.leading = false;
            await this.store.releaseLeadership(conn).catch(() => undefined);
          }
        });
      } catch (err) {
        if (!this.stopped) this.logger.error({ err: { message: (err as Error).message } }, 'event relay failed; retrying');
      }
      if (!this.stopped) await this.sleep(this.opts.electionMs);
    }
  }

  private async lead(conn: Queryable): Promise<void> {
    let { publishedTo } = await this.store.relayState(conn);
    this.sideEffectsDoneTo = publishedTo;
    // Whatever a previous leader positioned but may not have published (or whose side effects may not have run).
    for (;;) {
      const again = await this.store.positionedAfter(conn, publishedTo, BATCH);
      if (again.length === 0) break;
      publishedTo = await this.publish(publishedTo, again);
    }
    await this.sideEffects;
    await this.store.markPublished(conn, this.checkpoint(publishedTo));
    let pruneAt = Date.now() + 5_000;
    while (!this.stopped) {
      const events = await this.store.assignPositions(conn, this.checkpoint(publishedTo), BATCH);
      if (events.length > 0) publishedTo = await this.publish(publishedTo, events);
      if (events.length === BATCH) continue;
      if (Date.now() >= pruneAt) {
        pruneAt = Date.now() + PRUNE_EVERY_MS;
        await this.store.markPublished(conn, this.checkpoint(publishedTo));
        const n = await this.store.prune(conn, this.opts.retentionDays);
        if (n > 0) this.logger.info({ events: n }, 'pruned events past their retention');
      }
      await this.sleep(this.opts.pollMs);
    }
    await this.sideEffects;
    await this.store.markPublished(conn, this.checkpoint(publishedTo));
  }

  /**
   * What the relay records as published: never past the events whose side effects have run, so that a relay that
   * dies first leaves them to the next one (which re-publishes them; nodes drop what they already have).
   */
  private checkpoint(publishedTo: string): string {
    return BigInt(this.sideEffectsDoneTo) < BigInt(publishedTo) ? this.sideEffectsDoneTo : publishedTo;
  }

  /** Publishes events (in position order) and returns the new published-to position. */
  private async publish(from: string, events: StoredEvent[]): Promise<string> {
    const threadIds = [...new Set(events.filter((e) => e.threadId && !e.userId).map((e) => e.threadId!))];
    const orgIds = [...new Set(events.map((e) => e.orgId))];
    const audience = await this.threads.audience(threadIds, orgIds);
    const relayed: RelayedEvent[] = events.map((e) => ({
      ...e,
      audience: e.userId ? [e.userId] : (audience.get(e.threadId ?? '') ?? []).filter((v) => !e.staffOnly || seesInternalMessages(v.role)).map((v) => v.userId),
    }));
    const to = events[events.length - 1]!.position;
    const batch: RelayBatch = { from, to, events: relayed };
    this.bus.publish(SUBJECTS.events, JSON.stringify(batch));
    // Side effects (notifications) run in order behind the live path, never delaying it; the checkpoint waits for
    // them, so they run at least once (listeners are idempotent).
    this.sideEffects = this.sideEffects.then(async () => {
      for (const listener of this.listeners) await this.runListener(listener, events);
      this.sideEffectsDoneTo = to;
    });
    return to;
  }

  private async runListener(listener: EventListener, events: StoredEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await listener(events);
      } catch (err) {
        this.logger.error({ err: { message: (err as Error).message }, attempt }, 'event listener failed');
        if (attempt >= 3 || this.stopped) return;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}
