import { sql, type RawBuilder } from 'kysely';
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
  constructor(private readonly db: Db) {}

  async initChain(tx: Queryable, orgId: string): Promise<void> {
    await tx.insertInto('audit_heads').values({ org_id: orgId, seq: 0, hash: GENESIS_HASH }).execute();
  }

  /** Inserts one event in the caller's transaction. No lock: the sealer chains it shortly after commit. */
  async append(tx: Queryable, e: AuditRowInput): Promise<void> {
    await this.insertSql(e).execute(tx);
  }

  /**
   * The INSERT of one event as SQL, for a statement that writes a change and its audit event together
   * (e.g. a CTE); with `onlyIf`, the event is written only when that condition holds in the same statement.
   */
  insertSql(e: AuditRowInput, onlyIf?: RawBuilder<boolean>): RawBuilder<unknown> {
    return sql`
      INSERT INTO audit_events (org_id, id, at, actor_id, actor_role, action, resource_type, resource_id,
                                patient_id, address, outcome, details, digest)
      SELECT ${e.orgId}::uuid, ${e.id}::uuid, ${e.at}::timestamptz, ${e.actorId}::uuid, ${e.actorRole}::text, ${e.action}::text,
             ${e.resourceType}::text, ${e.resourceId}::text, ${e.patientId}::uuid, ${e.address}::text, ${e.outcome}::text,
             ${JSON.stringify(e.details)}::jsonb, ${e.digest}::bytea
       WHERE ${onlyIf ?? sql`true`}`;
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
