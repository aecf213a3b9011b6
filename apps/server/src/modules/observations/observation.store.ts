import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { ObservationChartSharesTable, ObservationSourceColumn, ObservationStatusColumn, ObservationsTable } from '../../platform/db/schema.js';

export interface ObservationInsert {
  id: string;
  orgId: string;
  patientId: string;
  keyId: string;
  metricTag: Buffer;
  effectiveAt: Date;
  status: ObservationStatusColumn;
  source: ObservationSourceColumn;
  enteredBy: string;
  valuesCt: Buffer;
  resourceCt: Buffer | null;
  contentHash: Buffer;
  at: Date;
}

/** An observation as the service reads it (the raw FHIR resource stays in the database). */
export type ObservationRow = Omit<Selectable<ObservationsTable>, 'resource_ct'>;
export type ChartShareRow = Selectable<ObservationChartSharesTable>;

/** How long a chart share's claim holds before a retry may take it over (a crash between claim and upload). */
const SHARE_LEASE = '2 minutes';

const ROW_COLUMNS = [
  'id', 'org_id', 'patient_id', 'key_id', 'metric_tag', 'effective_at', 'status', 'source', 'entered_by', 'values_ct', 'content_hash', 'created_at', 'updated_at',
] as const;

const toValues = (r: ObservationInsert) => ({
  id: r.id,
  org_id: r.orgId,
  patient_id: r.patientId,
  key_id: r.keyId,
  metric_tag: r.metricTag,
  effective_at: r.effectiveAt,
  status: r.status,
  source: r.source,
  entered_by: r.enteredBy,
  values_ct: r.valuesCt,
  resource_ct: r.resourceCt,
  content_hash: r.contentHash,
  created_at: r.at,
  updated_at: r.at,
});

export class ObservationStore {
  constructor(private readonly db: Db) {}

  /**
   * Imports rows in one statement: new ids are inserted; an id that exists (the same resource imported before) is
   * replaced only when its content differs. Answers the ids written, each with whether it was new; ids not in the
   * answer were already there unchanged. Rows go in id order, so concurrent imports of overlapping bundles lock
   * them in the same order (no deadlock).
   */
  async upsertImported(tx: Queryable, rows: ObservationInsert[]): Promise<Map<string, 'created' | 'updated'>> {
    const ordered = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const written = await tx
      .insertInto('observations')
      .values(ordered.map(toValues))
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            metric_tag: eb.ref('excluded.metric_tag'),
            effective_at: eb.ref('excluded.effective_at'),
            status: eb.ref('excluded.status'),
            values_ct: eb.ref('excluded.values_ct'),
            resource_ct: eb.ref('excluded.resource_ct'),
            content_hash: eb.ref('excluded.content_hash'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where((eb) =>
            eb.and([
              eb('observations.org_id', '=', eb.ref('excluded.org_id')),
              eb('observations.patient_id', '=', eb.ref('excluded.patient_id')),
              eb('observations.source', '=', eb.ref('excluded.source')),
              eb('observations.content_hash', 'is distinct from', eb.ref('excluded.content_hash')),
            ]),
          ),
      )
      .returning(['id', sql<boolean>`(xmax = 0)`.as('inserted')])
      .execute();
    return new Map(written.map((w) => [w.id, w.inserted ? 'created' : 'updated']));
  }

  /** Inserts one row unless its id exists; true when inserted. */
  async insertOne(tx: Queryable, row: ObservationInsert): Promise<boolean> {
    const res = await tx.insertInto('observations').values(toValues(row)).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Any observation with this id (ids are global: an idempotency check must see every organization's). */
  byId(tx: Queryable, id: string): Promise<ObservationRow | undefined> {
    return tx.selectFrom('observations').select(ROW_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  /**
   * A patient's observations in a time range, newest first, without entered-in-error ones; only the metrics whose
   * tags are given, when given.
   */
  series(q: { orgId: string; patientId: string; from: Date; to: Date; metricTags?: Buffer[]; limit: number }): Promise<ObservationRow[]> {
    let query = this.db
      .selectFrom('observations')
      .select(ROW_COLUMNS)
      .where('org_id', '=', q.orgId)
      .where('patient_id', '=', q.patientId)
      .where('effective_at', '>=', q.from)
      .where('effective_at', '<=', q.to)
      .where('status', '<>', 'entered-in-error');
    if (q.metricTags) query = query.where('metric_tag', 'in', q.metricTags);
    return query.orderBy('effective_at', 'desc').orderBy('id').limit(q.limit).execute();
  }

  // ---- chart shares ---------------------------------------------------------------------------------------------

  /**
   * Claims a message id for a chart share. `owned` when this call may go on: the first claim, or a retry of the same
   * request (same creator, thread and request hash) whose earlier attempt stopped before uploading and whose claim
   * has expired. Otherwise the existing claim is answered for the caller to decide.
   */
  async claimShare(s: { messageId: string; orgId: string; patientId: string; threadId: string; createdBy: string; requestHash: Buffer }): Promise<{ owned: boolean; fresh: boolean; row: ChartShareRow }> {
    const res = await sql<ChartShareRow & { fresh: boolean }>`
      INSERT INTO observation_chart_shares (message_id, org_id, patient_id, thread_id, created_by, request_hash)
      VALUES (${s.messageId}, ${s.orgId}, ${s.patientId}, ${s.threadId}, ${s.createdBy}, ${s.requestHash})
      ON CONFLICT (message_id) DO UPDATE SET claimed_at = now()
       WHERE observation_chart_shares.attachment_id IS NULL
         AND observation_chart_shares.claimed_at < now() - ${SHARE_LEASE}::interval
         AND observation_chart_shares.org_id = EXCLUDED.org_id
         AND observation_chart_shares.thread_id = EXCLUDED.thread_id
         AND observation_chart_shares.created_by = EXCLUDED.created_by
         AND observation_chart_shares.request_hash = EXCLUDED.request_hash
      RETURNING *, (xmax = 0) AS fresh`.execute(this.db);
    const claimed = res.rows[0];
    if (claimed) {
      const { fresh, ...row } = claimed;
      return { owned: true, fresh, row };
    }
    const row = await this.db.selectFrom('observation_chart_shares').selectAll().where('message_id', '=', s.messageId).executeTakeFirstOrThrow();
    return { owned: false, fresh: false, row };
  }

  async setShareAttachment(orgId: string, messageId: string, attachmentId: string): Promise<void> {
    await this.db.updateTable('observation_chart_shares').set({ attachment_id: attachmentId }).where('org_id', '=', orgId).where('message_id', '=', messageId).execute();
  }

  /** Gives a claim up (nothing was uploaded), so the id can be used again. */
  async releaseShare(orgId: string, messageId: string): Promise<void> {
    await this.db.deleteFrom('observation_chart_shares').where('org_id', '=', orgId).where('message_id', '=', messageId).where('attachment_id', 'is', null).execute();
  }
}
