import { sql } from 'kysely';
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
  beforeSeq?: string;
  limit: number;
}

export class AuditStore {
  constructor(private readonly db: Db) {}

  async initChain(tx: Queryable, orgId: string): Promise<void> {
    await tx.insertInto('audit_heads').values({ org_id: orgId, seq: 0, hash: GENESIS_HASH }).execute();
  }

  /**
   * Appends one event. The UPDATE of the organization's head row takes its row lock until the caller's
   * transaction ends, which orders appends; the chain hash is computed in the same statement.
   */
  async append(tx: Queryable, e: AuditRowInput): Promise<void> {
    await sql`
      WITH head AS (
        UPDATE audit_heads
           SET seq = seq + 1, hash = sha256(hash || int8send(seq + 1) || ${e.digest})
         WHERE org_id = ${e.orgId}
     RETURNING seq, hash
      )
      INSERT INTO audit_events (org_id, seq, id, at, actor_id, actor_role, action, resource_type, resource_id,
                                patient_id, address, outcome, details, digest, hash)
      SELECT ${e.orgId}, head.seq, ${e.id}, ${e.at}, ${e.actorId}, ${e.actorRole}, ${e.action}, ${e.resourceType},
             ${e.resourceId}, ${e.patientId}, ${e.address}, ${e.outcome}, ${JSON.stringify(e.details)}::jsonb,
             ${e.digest}, head.hash
        FROM head`.execute(tx);
  }

  list(f: AuditListFilter) {
    let q = this.db.selectFrom('audit_events').selectAll().where('org_id', '=', f.orgId);
    if (f.patientId) q = q.where('patient_id', '=', f.patientId);
    if (f.actorId) q = q.where('actor_id', '=', f.actorId);
    if (f.action) q = q.where('action', '=', f.action);
    if (f.from) q = q.where('at', '>=', f.from);
    if (f.to) q = q.where('at', '<', f.to);
    if (f.beforeSeq) q = q.where('seq', '<', f.beforeSeq);
    return q.orderBy('seq', 'desc').limit(f.limit).execute();
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
