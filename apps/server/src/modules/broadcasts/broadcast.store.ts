import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { BroadcastRecipientState, BroadcastRecipientsTable, BroadcastsTable } from '../../platform/db/schema.js';
import { patientInScope } from '../policy/patient-scope.sql.js';
import type { PatientScope } from '../policy/policy.js';

export type BroadcastRow = Selectable<BroadcastsTable>;
export type RecipientRow = Selectable<BroadcastRecipientsTable>;
export type RecipientInsert = Omit<RecipientRow, 'processed_at'>;

/** Which patients (blind indexes for tags): every given field must match. */
export interface SelectorFilter {
  tagBidx: Buffer[];
  careTeamId?: string;
  providerId?: string;
}

/** How many recipients of a broadcast are in each state, and for each reason. */
export interface RecipientCount {
  broadcast_id: string;
  state: BroadcastRecipientState;
  reason: string | null;
  n: number;
}

const createdMicros = sql<string>`(extract(epoch from created_at) * 1000000)::bigint`;

export class BroadcastStore {
  constructor(private readonly db: Db) {}

  /**
   * Active patients of the organization within the scope that match the selector, in registration order (at most
   * `limit`). Patients outside the scope are never selected, so they are not counted either.
   */
  async select(orgId: string, scope: PatientScope, f: SelectorFilter, limit: number): Promise<string[]> {
    const tagConditions = f.tagBidx.map((b) => sql`AND EXISTS (SELECT 1 FROM patient_tags pt WHERE pt.patient_id = u.id AND pt.tag_bidx = ${b})`);
    const res = await sql<{ id: string }>`
      SELECT u.id FROM users u
       WHERE u.org_id = ${orgId} AND u.role = 'patient' AND u.status = 'active'
         AND ${patientInScope(scope, sql.ref('u.id'))}
         ${tagConditions.length > 0 ? sql.join(tagConditions, sql` `) : sql``}
         ${f.careTeamId ? sql`AND EXISTS (SELECT 1 FROM patient_care_teams pc WHERE pc.patient_id = u.id AND pc.care_team_id = ${f.careTeamId}::uuid)` : sql``}
         ${f.providerId ? sql`AND EXISTS (SELECT 1 FROM patient_care_teams pc JOIN care_team_members m ON m.care_team_id = pc.care_team_id
                                           WHERE pc.patient_id = u.id AND m.user_id = ${f.providerId}::uuid)` : sql``}
       ORDER BY u.created_at, u.id
       LIMIT ${limit}`.execute(this.db);
    return res.rows.map((r) => r.id);
  }

  async insert(tx: Queryable, b: Omit<BroadcastRow, 'started_at' | 'completed_at' | 'cancelled_at' | 'cancelled_by' | 'lease_until'>): Promise<void> {
    await tx.insertInto('broadcasts').values(b).execute();
  }

  async insertRecipients(tx: Queryable, rows: RecipientInsert[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) await tx.insertInto('broadcast_recipients').values(rows.slice(i, i + 1000)).execute();
  }

  byId(orgId: string, id: string, tx: Queryable = this.db, lock = false): Promise<BroadcastRow | undefined> {
    let q = tx.selectFrom('broadcasts').selectAll().where('org_id', '=', orgId).where('id', '=', id);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /** An author's broadcasts, newest first. */
  byAuthor(orgId: string, authorId: string, after: { micros: string; id: string } | undefined, limit: number) {
    let q = this.db
      .selectFrom('broadcasts')
      .selectAll()
      .select(createdMicros.as('created_us'))
      .where('org_id', '=', orgId)
      .where('created_by', '=', authorId);
    if (after) q = q.where(sql<boolean>`(${createdMicros}, id) < (${after.micros}::bigint, ${after.id}::uuid)`);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  /** Recipient counts per state and reason of these broadcasts, in one query. */
  async counts(ids: string[]): Promise<RecipientCount[]> {
    if (ids.length === 0) return [];
    const res = await sql<RecipientCount>`
      SELECT broadcast_id, state, reason, count(*)::int AS n FROM broadcast_recipients
       WHERE broadcast_id = ANY(${ids}::uuid[]) GROUP BY broadcast_id, state, reason`.execute(this.db);
    return res.rows;
  }

  /**
   * Takes the broadcast's sending lease (one run at a time): its expiry, to the microsecond, which names this run's
   * lease when it gives it back; null while another run holds it.
   */
  async claimLease(id: string, ms: number): Promise<string | null> {
    const res = await sql<{ lease: string }>`
      UPDATE broadcasts SET lease_until = now() + ${ms} * interval '1 millisecond', started_at = coalesce(started_at, now())
       WHERE id = ${id} AND cancelled_at IS NULL AND completed_at IS NULL AND (lease_until IS NULL OR lease_until < now())
      RETURNING lease_until::text AS lease`.execute(this.db);
    return res.rows[0]?.lease ?? null;
  }

  /** Gives back this run's lease; a lease another run took after this one's expired stays with that run. */
  async releaseLease(tx: Queryable, id: string, lease: string): Promise<void> {
    await sql`UPDATE broadcasts SET lease_until = NULL WHERE id = ${id} AND lease_until = ${lease}::timestamptz`.execute(tx);
  }

  /** The next recipient still to send to, in order. */
  nextPending(id: string): Promise<RecipientRow | undefined> {
    return this.db.selectFrom('broadcast_recipients').selectAll().where('broadcast_id', '=', id).where('state', '=', 'pending').orderBy('position').limit(1).executeTakeFirst();
  }

  async isCancelled(id: string): Promise<boolean> {
    const row = await this.db.selectFrom('broadcasts').select('cancelled_at').where('id', '=', id).executeTakeFirst();
    return !row || row.cancelled_at !== null;
  }

  /** Records what became of one recipient (a send that finished after a cancel still counts as sent). */
  async settle(id: string, patientId: string, state: Exclude<BroadcastRecipientState, 'pending'>, reason: string | null): Promise<void> {
    await this.db
      .updateTable('broadcast_recipients')
      .set({ state, reason, processed_at: new Date() })
      .where('broadcast_id', '=', id)
      .where('patient_id', '=', patientId)
      .execute();
  }

  /** Marks the broadcast completed when nothing is pending any more (and it was not cancelled). */
  async completeIfDone(tx: Queryable, id: string): Promise<boolean> {
    const res = await sql`
      UPDATE broadcasts SET completed_at = now(), lease_until = NULL
       WHERE id = ${id} AND completed_at IS NULL AND cancelled_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = ${id} AND r.state = 'pending')`.execute(tx);
    return Number(res.numAffectedRows ?? 0) > 0;
  }

  /** Cancels: the broadcast stops and every recipient still pending is marked cancelled. */
  async cancel(tx: Queryable, id: string, by: string): Promise<number> {
    await tx.updateTable('broadcasts').set({ cancelled_at: new Date(), cancelled_by: by }).where('id', '=', id).execute();
    const res = await tx.updateTable('broadcast_recipients').set({ state: 'cancelled', processed_at: new Date() }).where('broadcast_id', '=', id).where('state', '=', 'pending').executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
}
