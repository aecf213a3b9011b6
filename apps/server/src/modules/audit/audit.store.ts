import { sql, type RawBuilder } from 'kysely';
import { Batcher } from '../../platform/db/batcher.js';
import type { Db, Queryable } from '../../platform/db/database.js';
import { GENESIS_HASH, type AuditFields } from './audit.chain.js';

/** An event's fields plus its content digest, as the store appends it. */
export type AuditRowInput = AuditFields & { digest: Buffer };

export interface AuditListFilter {
  orgId: string;
  patientId?: string;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  beforePos?: string;
  limit: number;
}

export class AuditStore {
  /**
   * Events that stand alone (reads, sign-ins: not inside a caller's transaction) from concurrent requests share one
   * INSERT and one commit; the caller still waits until its event is committed.
   */
  private readonly appender = new Batcher<AuditRowInput, null>(
    async (events) => {
      await this.insertManySql(events).execute(this.db);
      return events.map(() => null);
    },
    { maxBatch: 256, maxInFlight: 2, isolateFailures: true },
  );

  constructor(private readonly db: Db) {}

  async initChain(tx: Queryable, orgId: string): Promise<void> {
    await tx.insertInto('audit_heads').values({ org_id: orgId, seq: 0, hash: GENESIS_HASH }).execute();
  }

  /** Inserts one event in the caller's transaction. No lock: the sealer chains it shortly after commit. */
  async append(tx: Queryable, e: AuditRowInput): Promise<void> {
    if (tx === this.db) await this.appender.submit(e);
    else await this.insertManySql([e]).execute(tx);
  }

  /**
   * The INSERT of events as SQL, for a statement that writes changes and their audit events together (a CTE);
   * with `onlyIfResourceIn` (a subquery of resource ids), an event is written only if its resource is among them,
   * e.g. only for the messages that statement actually inserted.
   */
  insertManySql(events: AuditRowInput[], onlyIfResourceIn?: RawBuilder<unknown>): RawBuilder<unknown> {
    const col = <T>(f: (e: AuditRowInput) => T): T[] => events.map(f);
    return sql`
      INSERT INTO audit_events (org_id, id, at, actor_id, actor_role, action, resource_type, resource_id,
                                patient_id, address, outcome, details, digest)
      SELECT e.org_id, e.id, e.at, e.actor_id, e.actor_role, e.action, e.resource_type, e.resource_id,
             e.patient_id, e.address, e.outcome, e.details, e.digest
        FROM unnest(${col((e) => e.orgId)}::uuid[], ${col((e) => e.id)}::uuid[], ${col((e) => e.at)}::timestamptz[],
                    ${col((e) => e.actorId)}::uuid[], ${col((e) => e.actorRole)}::text[], ${col((e) => e.action)}::text[],
                    ${col((e) => e.resourceType)}::text[], ${col((e) => e.resourceId)}::text[], ${col((e) => e.patientId)}::uuid[],
                    ${col((e) => e.address)}::text[], ${col((e) => e.outcome)}::text[], ${col((e) => JSON.stringify(e.details))}::jsonb[],
                    ${col((e) => e.digest)}::bytea[])
             AS e(org_id, id, at, actor_id, actor_role, action, resource_type, resource_id, patient_id, address, outcome, details, digest)
       WHERE ${onlyIfResourceIn ? sql`e.resource_id IN (${onlyIfResourceIn})` : sql`true`}
       ORDER BY e.at`;
  }

  /** Organizations with events not yet chained. */
  async pendingOrgIds(): Promise<string[]> {
    const rows = await sql<{ org_id: string }>`SELECT DISTINCT org_id FROM audit_events WHERE seq IS NULL`.execute(this.db);
    return rows.rows.map((r) => r.org_id);
  }

  /**
   * Chains up to `limit` committed, unchained events of an organization, in insertion order, under the row lock of
   * the organization's head (so sealers on several nodes never interleave). Returns how many were sealed.
   */
  async seal(orgId: string, limit: number, link: (prev: Buffer, seq: bigint, digest: Buffer) => Buffer): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const head = await tx.selectFrom('audit_heads').select(['seq', 'hash']).where('org_id', '=', orgId).forUpdate().executeTakeFirst();
      if (!head) return 0;
      const rows = await tx
        .selectFrom('audit_events')
        .select(['pos', 'digest'])
        .where('org_id', '=', orgId)
        .where('seq', 'is', null)
        .orderBy('pos')
        .limit(limit)
        .execute();
      if (rows.length === 0) return 0;
      let seq = BigInt(head.seq);
      let hash = head.hash;
      const pos: string[] = [];
      const seqs: string[] = [];
      const hashes: Buffer[] = [];
      for (const r of rows) {
        seq += 1n;
        hash = link(hash, seq, r.digest);
        pos.push(r.pos);
        seqs.push(seq.toString());
        hashes.push(hash);
      }
      await sql`
        UPDATE audit_events a SET seq = v.seq, hash = v.hash
          FROM unnest(${pos}::bigint[], ${seqs}::bigint[], ${hashes}::bytea[]) AS v(pos, seq, hash)
         WHERE a.pos = v.pos`.execute(tx);
      await tx.updateTable('audit_heads').set({ seq: seq.toString(), hash }).where('org_id', '=', orgId).execute();
      return rows.length;
    });
  }

  list(f: AuditListFilter) {
    let q = this.db.selectFrom('audit_events').selectAll().where('org_id', '=', f.orgId);
    if (f.patientId) q = q.where('patient_id', '=', f.patientId);
    if (f.actorId) q = q.where('actor_id', '=', f.actorId);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    if (f.beforePos) q = q.where('pos', '<', f.beforePos);
    return q.orderBy('pos', 'desc').limit(f.limit).execute();
  }

  /** Events in chain order, in pages, for verification. */
  page(orgId: string, afterSeq: string, limit: number) {
    return this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
  }

  head(orgId: string) {
    return this.db.selectFrom('audit_heads').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  }

  checkpoints(orgId: string) {
    return this.db.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', orgId).orderBy('seq', 'asc').execute();
  }

  lastCheckpointSeq(orgId: string) {
    return this.db
      .selectFrom('audit_checkpoints')
      .select(sql<string>`coalesce(max(seq), 0)`.as('seq'))
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
  }

  async insertCheckpoint(row: { orgId: string; seq: string; hash: Buffer; signedAt: Date; keyId: string; signature: Buffer }) {
    await this.db
      .insertInto('audit_checkpoints')
      .values({ org_id: row.orgId, seq: row.seq, hash: row.hash, signed_at: row.signedAt, key_id: row.keyId, signature: row.signature })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  orgIds() {
    return this.db.selectFrom('audit_heads').select(['org_id', 'seq']).execute();
  }

  signingKeys() {
    return this.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
  }

  async insertSigningKey(row: { id: string; publicKeyPem: string; privateKeyCt: Buffer; masterKeyId: string }) {
    await this.db
      .insertInto('signing_keys')
      .values({ id: row.id, public_key_pem: row.publicKeyPem, private_key_ct: row.privateKeyCt, master_key_id: row.masterKeyId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
