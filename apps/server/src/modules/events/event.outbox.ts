import type { RawBuilder } from 'kysely';
import type { Queryable } from '../../platform/db/database.js';
import type { EventStore, OutboxEvent } from './event.store.js';

export type { OutboxEvent };

/**
 * The transactional outbox, as other modules see it: they write their events inside their own transaction, then
 * call `committed()` so the relay picks them up at once (it also polls, so a missed wake-up only costs latency).
 */
export class EventOutbox {
  private readonly wakers = new Set<() => void>();
  private wakePending = false;

  constructor(private readonly store: EventStore) {}

  record(tx: Queryable, events: OutboxEvent[]): Promise<void> {
    return this.store.insert(tx, events);
  }

  /**
   * SQL that writes the events a SELECT yields (org_id, kind, thread_id, user_id, message_id, actor_id; with `full`
   * also staff_only and data), for use in a bigger statement.
   */
  insertSelectSql(select: RawBuilder<unknown>, columns: 'basic' | 'full' = 'basic'): RawBuilder<unknown> {
    return this.store.insertSelectSql(select, columns);
  }

  /** Call after the transaction that wrote events has committed. Wake-ups within one tick coalesce. */
  committed(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    queueMicrotask(() => {
      this.wakePending = false;
      for (const wake of this.wakers) wake();
    });
  }

  onCommitted(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }
}
