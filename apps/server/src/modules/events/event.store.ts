import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { EventsTable } from '../../platform/db/schema.js';

/** An event as a change writes it into the outbox (inside the change's own transaction). */
export interface OutboxEvent {
  orgId: string;
  kind: string;
  threadId?: string | null;
  /** Only for events addressed to one user. */
  userId?: string | null;
  messageId?: string | null;
  actorId?: string | null;
  /** Identifiers and non-clinical facts only. */
  data?: Record<string, unknown>;
  /** Delivered to providers and staff only, never to a patient (internal notes, mentions). */
  staffOnly?: boolean;
}

/** An event with its stream position. */
export interface StoredEvent {
  position: string;
  orgId: string;
  kind: string;
  threadId: string | null;
  userId: string | null;
  messageId: string | null;
  actorId: string | null;
  data: Record<string, unknown>;
  at: string;
  /** Never delivered to a patient, whatever the thread's audience. */
  staffOnly: boolean;
}

/** A positioned row (the queries below select only those), position as text. */
type EventRow = Omit<Selectable<EventsTable>, 'id' | 'position'> & { position: string };

const toEvent = (r: EventRow): StoredEvent => ({
  position: r.position,
  orgId: r.org_id,
  kind: r.kind,
  threadId: r.thread_id,
  userId: r.user_id,
  messageId: r.message_id,
  actorId: r.actor_id,
  data: r.data,
  at: r.created_at.toISOString(),
  staffOnly: r.staff_only,
});

/** Relay leadership: one relay at a time across every node that shares the database. */
const RELAY_LOCK = sql`hashtextextended('haven.event_relay', 0)`;

export class EventStore {
  constructor(private readonly db: Db) {}

  /**
   * The INSERT that writes events selected by `select`. Columns: org_id, kind, thread_id, user_id, message_id,
   * actor_id; with `full`, also staff_only and data.
   */
  insertSelectSql(select: RawBuilder<unknown>, columns: 'basic' | 'full' = 'basic'): RawBuilder<unknown> {
    return columns === 'full'
      ? sql`INSERT INTO events (org_id, kind, thread_id, user_id, message_id, actor_id, staff_only, data) ${select}`
      : sql`INSERT INTO events (org_id, kind, thread_id, user_id, message_id, actor_id) ${select}`;
  }

  async insert(tx: Queryable, events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx
      .insertInto('events')
      .values(
        events.map((e) => ({
          org_id: e.orgId,
          kind: e.kind,
          thread_id: e.threadId ?? null,
          user_id: e.userId ?? null,
          message_id: e.messageId ?? null,
          actor_id: e.actorId ?? null,
          data: JSON.stringify(e.data ?? {}),
          staff_only: e.staffOnly ?? false,
        })),
      )
      .execute();
  }

  async tryLeadership(conn: Queryable): Promise<boolean> {
    const res = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(${RELAY_LOCK}) AS ok`.execute(conn);
    return res.rows[0]?.ok === true;
  }

  async releaseLeadership(conn: Queryable): Promise<void> {
    await sql`SELECT pg_advisory_unlock(${RELAY_LOCK})`.execute(conn);
  }

  async relayState(conn: Queryable): Promise<{ publishedTo: string; prunedTo: string }> {
    const row = await conn.selectFrom('event_relay_state').select(['published_to', 'pruned_to']).executeTakeFirstOrThrow();
    return { publishedTo: row.published_to, prunedTo: row.pruned_to };
  }

  /** Events already positioned but maybe never published (a relay died between the two): re-published on takeover. */
  async positionedAfter(conn: Queryable, after: string, limit: number): Promise<StoredEvent[]> {
    // (Ordered by e.position, the number: a bare `position` would sort the text alias.)
    const res = await sql<EventRow>`
      SELECT position::text AS position, org_id, kind, thread_id, user_id, message_id, actor_id, data, created_at, staff_only
        FROM events e WHERE e.position > ${after} ORDER BY e.position LIMIT ${limit}`.execute(conn);
    return res.rows.map(toEvent);
  }

  /**
   * Gives committed, unpositioned events their stream positions (in insertion order) and records, in the same
   * statement, how far the previous batch was published.
   */
  async assignPositions(conn: Queryable, publishedTo: string, limit: number): Promise<StoredEvent[]> {
    const res = await sql<EventRow>`
      WITH st AS (
        UPDATE event_relay_state SET published_to = greatest(published_to, ${publishedTo}::bigint)
      ), next AS (
        SELECT id FROM events WHERE position IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ), numbered AS (
        SELECT id, nextval('event_position') AS position FROM (SELECT id FROM next ORDER BY id) n
      )
      UPDATE events e SET position = numbered.position FROM numbered WHERE e.id = numbered.id
      RETURNING e.position::text AS position, e.org_id, e.kind, e.thread_id, e.user_id, e.message_id, e.actor_id, e.data, e.created_at, e.staff_only`.execute(conn);
    return res.rows.map(toEvent).sort((a, b) => (BigInt(a.position) < BigInt(b.position) ? -1 : 1));
  }

  async markPublished(conn: Queryable, publishedTo: string): Promise<void> {
    await sql`UPDATE event_relay_state SET published_to = greatest(published_to, ${publishedTo}::bigint)`.execute(conn);
  }

  /** An organization's events after a position, in stream order (for replay; the caller filters by audience). */
  async range(orgId: string, after: string, limit: number): Promise<StoredEvent[]> {
    const res = await sql<EventRow>`
      SELECT position::text AS position, org_id, kind, thread_id, user_id, message_id, actor_id, data, created_at, staff_only
        FROM events e WHERE e.org_id = ${orgId} AND e.position > ${after} ORDER BY e.position LIMIT ${limit}`.execute(this.db);
    return res.rows.map(toEvent);
  }

  async prunedTo(): Promise<string> {
    const row = await this.db.selectFrom('event_relay_state').select('pruned_to').executeTakeFirstOrThrow();
    return row.pruned_to;
  }

  /** The newest position handed out so far (the start of a stream without a cursor). */
  async headPosition(): Promise<string> {
    const res = await sql<{ p: string }>`SELECT coalesce(max(position), 0)::text AS p FROM events`.execute(this.db);
    return res.rows[0]?.p ?? '0';
  }

  /** Deletes published events older than the retention; returns how many. */
  async prune(conn: Queryable, olderThanDays: number): Promise<number> {
    const res = await sql<{ n: string }>`
      WITH gone AS (
        DELETE FROM events
         WHERE created_at < now() - make_interval(secs => ${olderThanDays * 86400})
           AND position IS NOT NULL AND position <= (SELECT published_to FROM event_relay_state)
        RETURNING position
      ), st AS (
        UPDATE event_relay_state SET pruned_to = greatest(pruned_to, (SELECT coalesce(max(position), 0) FROM gone))
      )
      SELECT count(*)::text AS n FROM gone`.execute(conn);
    return Number(res.rows[0]?.n ?? 0);
  }

  // Tickets

  async createTicket(tokenHash: Buffer, sessionId: string, expiresAt: Date): Promise<void> {
    await this.db.insertInto('event_tickets').values({ token_hash: tokenHash, session_id: sessionId, expires_at: expiresAt }).execute();
  }

  /** Uses a ticket up: returns its session if it was valid and unused. */
  async redeemTicket(tokenHash: Buffer): Promise<string | undefined> {
    const row = await this.db.deleteFrom('event_tickets').where('token_hash', '=', tokenHash).where('expires_at', '>', new Date()).returning('session_id').executeTakeFirst();
    return row?.session_id;
  }

  async dropExpiredTickets(): Promise<void> {
    await this.db.deleteFrom('event_tickets').where('expires_at', '<=', new Date()).execute();
  }

  // Presence

  async heartbeat(nodeId: string): Promise<void> {
    await sql`INSERT INTO event_nodes (node_id, heartbeat_at) VALUES (${nodeId}, now())
              ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now()`.execute(this.db);
  }

  async dropNode(nodeId: string): Promise<void> {
    await this.db.deleteFrom('event_nodes').where('node_id', '=', nodeId).execute();
  }

  async dropDeadNodes(deadAfterS: number): Promise<void> {
    await sql`DELETE FROM event_nodes WHERE heartbeat_at < now() - make_interval(secs => ${deadAfterS})`.execute(this.db);
  }

  async setPresent(nodeId: string, user: { userId: string; orgId: string; role: string }, present: boolean): Promise<void> {
    const userId = user.userId;
    if (present) {
      await sql`INSERT INTO event_presence (node_id, user_id, org_id, role) VALUES (${nodeId}, ${userId}, ${user.orgId}, ${user.role}) ON CONFLICT DO NOTHING`.execute(this.db);
    } else {
      await this.db.deleteFrom('event_presence').where('node_id', '=', nodeId).where('user_id', '=', userId).execute();
    }
  }

  /** Of these users, those with a socket open on a live node. */
  async connected(userIds: string[], liveWithinS: number): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const res = await sql<{ user_id: string }>`
      SELECT DISTINCT p.user_id FROM event_presence p JOIN event_nodes n ON n.node_id = p.node_id
       WHERE p.user_id = ANY(${userIds}::uuid[]) AND n.heartbeat_at > now() - make_interval(secs => ${liveWithinS})`.execute(this.db);
    return new Set(res.rows.map((r) => r.user_id));
  }

  /** Staff of an organization connected on a live node. */
  async connectedStaff(orgId: string, liveWithinS: number): Promise<string[]> {
    const res = await sql<{ user_id: string }>`
      SELECT DISTINCT p.user_id FROM event_presence p JOIN event_nodes n ON n.node_id = p.node_id
       WHERE p.org_id = ${orgId} AND p.role <> 'patient' AND n.heartbeat_at > now() - make_interval(secs => ${liveWithinS})`.execute(this.db);
    return res.rows.map((r) => r.user_id);
  }
}
