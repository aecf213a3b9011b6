import { randomUUID } from 'node:crypto';
import type { RawBuilder } from 'kysely';
import type { Static } from 'typebox';
import type { AuditEvent, AuditQuery, AuditVerifyResult } from '@haven/api';
import type { Queryable } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { can, type OrgPolicySettings } from '../policy/policy.js';
import { chainHash, checkpointMessage, eventDigest, GENESIS_HASH, type AuditFields } from './audit.chain.js';
import type { AuditRowInput, AuditStore } from './audit.store.js';
import type { AuditSigner } from './audit.signing.js';

export interface AuditRecord {
  orgId: string;
  actorId?: string | null;
  actorRole?: string | null;
  /** Operation id, e.g. messages.create */
  action: string;
  resourceType: string;
  resourceId?: string | null;
  patientId?: string | null;
  address?: string | null;
  outcome?: 'success' | 'denied' | 'failure';
  /** Identifiers and counts only: never message text, names or contact data. */
  details?: Record<string, string | number | boolean | null>;
}

type Verify = Static<typeof AuditVerifyResult>;
const SETTINGS_NONE: OrgPolicySettings = { staffSeeAllPatients: false };

export class AuditService {
  constructor(
    private readonly store: AuditStore,
    private readonly signer: AuditSigner,
  ) {}

  initOrganization(tx: Queryable, orgId: string): Promise<void> {
    return this.store.initChain(tx, orgId);
  }

  /** Appends an event inside the caller's transaction: the event commits with the change or not at all. */
  async record(tx: Queryable, r: AuditRecord): Promise<void> {
    await this.store.append(tx, this.prepare(r));
  }

  /** An event of the request's actor, prepared (id, time, digest) for a statement that writes it with its change. */
  eventFor(ctx: RequestContext, r: Omit<AuditRecord, 'orgId' | 'actorId' | 'actorRole' | 'address'>): AuditRowInput {
    return this.prepare({ ...r, orgId: ctx.actor.orgId, actorId: ctx.actor.userId, actorRole: ctx.actor.role, address: ctx.address });
  }

  /** An event of the system itself (automatic replies), prepared for a statement that writes it with its change. */
  systemEventFor(r: AuditRecord): AuditRowInput {
    return this.prepare(r);
  }

  /** Prepared events as SQL, for one statement that writes changes and their events together (see AuditStore). */
  eventsSql(events: AuditRowInput[], onlyIfResourceIn?: RawBuilder<unknown>): RawBuilder<unknown> {
    return this.store.insertManySql(events, onlyIfResourceIn);
  }

  private prepare(r: AuditRecord) {
    const fields: AuditFields = {
      id: randomUUID(),
      orgId: r.orgId,
      at: new Date(),
      actorId: r.actorId ?? null,
      actorRole: r.actorRole ?? null,
      action: r.action,
      resourceType: r.resourceType,
      resourceId: r.resourceId ?? null,
      patientId: r.patientId ?? null,
      address: r.address ?? null,
      outcome: r.outcome ?? 'success',
      details: r.details ?? {},
    };
    return { ...fields, digest: eventDigest(fields) };
  }

  /** Chains every committed, unchained event (of one organization, or all). Runs on a timer and before reads of the chain. */
  async seal(orgId?: string): Promise<number> {
    let total = 0;
    for (const id of orgId ? [orgId] : await this.store.pendingOrgIds()) {
      for (;;) {
        const n = await this.store.seal(id, 2000, chainHash);
        total += n;
        if (n < 2000) break;
      }
    }
    return total;
  }

  /** Convenience for service calls made by a signed-in actor. */
  recordFor(tx: Queryable, ctx: RequestContext, r: Omit<AuditRecord, 'orgId' | 'actorId' | 'actorRole' | 'address'>): Promise<void> {
    return this.record(tx, { ...r, orgId: ctx.actor.orgId, actorId: ctx.actor.userId, actorRole: ctx.actor.role, address: ctx.address });
  }

  private requireAuditor(ctx: RequestContext): void {
    if (!can(ctx.actor, 'audit.read', { orgId: ctx.actor.orgId }, SETTINGS_NONE)) throw new AppError('forbidden', 'Only compliance officers read the audit trail');
  }

  async list(ctx: RequestContext, q: Static<typeof AuditQuery>, tx: Queryable): Promise<{ items: Static<typeof AuditEvent>[]; nextCursor: string | null }> {
    this.requireAuditor(ctx);
    await this.seal(ctx.actor.orgId);
    const limit = q.limit ?? 50;
    const rows = await this.store.list({
      orgId: ctx.actor.orgId,
      patientId: q.patientId,
      actorId: q.actorId,
      action: q.action,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      beforePos: q.cursor ? decodeCursor(q.cursor) : undefined,
      limit,
    });
    await this.recordFor(tx, ctx, {
      action: 'audit.list',
      resourceType: 'audit',
      patientId: q.patientId ?? null,
      details: { returned: rows.length, ...(q.action ? { filterAction: q.action } : {}), ...(q.actorId ? { filterActor: q.actorId } : {}) },
    });
    return {
      items: rows.map((r) => ({
        seq: r.seq === null ? null : Number(r.seq),
        id: r.id,
        at: r.at.toISOString(),
        actorId: r.actor_id,
        actorRole: r.actor_role,
        action: r.action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        patientId: r.patient_id,
        address: r.address,
        outcome: r.outcome,
        details: r.details,
        hash: r.hash ? r.hash.toString('hex') : null,
      })),
      nextCursor: rows.length === limit ? encodeCursor(rows[rows.length - 1]!.pos) : null,
    };
  }

  async verifyFor(ctx: RequestContext, tx: Queryable): Promise<Verify> {
    this.requireAuditor(ctx);
    const result = await this.verify(ctx.actor.orgId);
    await this.recordFor(tx, ctx, {
      action: 'audit.verify',
      resourceType: 'audit',
      outcome: result.ok ? 'success' : 'failure',
      details: { eventsChecked: result.eventsChecked, firstBadSeq: result.firstBadSeq },
    });
    return result;
  }

  /**
   * Recomputes the chain from the first event: every digest from the row's columns, every link from the previous
   * hash, contiguous positions, the head, and each signed checkpoint. Reports the first position that fails.
   */
  async verify(orgId: string): Promise<Verify> {
    await this.seal(orgId);
    const checkpoints = await this.store.checkpoints(orgId);
    const cpBySeq = new Map(checkpoints.map((c) => [c.seq, c]));
    const head = await this.store.head(orgId);
    let prev: Buffer = GENESIS_HASH;
    let expected = 1n;
    let checked = 0;
    let cpChecked = 0;
    const fail = (seq: bigint | string, reason: string): Verify => ({
      ok: false,
      eventsChecked: checked,
      checkpointsChecked: cpChecked,
      headSeq: Number(head?.seq ?? 0),
      firstBadSeq: Number(seq),
      reason,
    });
    for (;;) {
      const rows = await this.store.page(orgId, (expected - 1n).toString(), 1000);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.seq === null) continue; // not reachable: the page holds chained events only
        const seq = BigInt(row.seq);
        if (seq !== expected) return fail(expected, `event ${expected} is missing (next present is ${seq})`);
        const digest = eventDigest({
          id: row.id,
          orgId: row.org_id,
          at: row.at,
          actorId: row.actor_id,
          actorRole: row.actor_role,
          action: row.action,
          resourceType: row.resource_type,
          resourceId: row.resource_id,
          patientId: row.patient_id,
          address: row.address,
          outcome: row.outcome,
          details: row.details,
        });
        if (!digest.equals(row.digest)) return fail(seq, `event ${seq} was modified after it was written`);
        const hash = chainHash(prev, seq, digest);
        if (!row.hash || !hash.equals(row.hash)) return fail(seq, `event ${seq} does not link to the event before it`);
        const cp = cpBySeq.get(row.seq);
        if (cp) {
          if (!cp.hash.equals(hash)) return fail(seq, `checkpoint at ${seq} does not match the chain`);
          const okSig = await this.signer.verify(cp.key_id, checkpointMessage(orgId, cp.seq, cp.hash, cp.signed_at), cp.signature);
          if (!okSig) return fail(seq, `checkpoint at ${seq} has an invalid signature`);
          cpChecked++;
        }
        prev = hash;
        expected++;
        checked++;
      }
    }
    const last = expected - 1n;
    const lastCp = checkpoints[checkpoints.length - 1];
    if (lastCp && BigInt(lastCp.seq) > last) return fail(last + 1n, `events after ${last} are missing (signed checkpoint at ${lastCp.seq})`);
    if (!head || BigInt(head.seq) !== last || !head.hash.equals(prev)) return fail(last + 1n, `the chain head does not match the last event (${last})`);
    return { ok: true, eventsChecked: checked, checkpointsChecked: cpChecked, headSeq: Number(last), firstBadSeq: null, reason: null };
  }

  /** Signs the current head of every organization whose chain grew since its last checkpoint. */
  async checkpointAll(): Promise<number> {
    let signed = 0;
    await this.seal();
    for (const { org_id: orgId } of await this.store.orgIds()) {
      const head = await this.store.head(orgId);
      const last = await this.store.lastCheckpointSeq(orgId);
      if (!head || BigInt(head.seq) <= BigInt(last.seq)) continue;
      const signedAt = new Date();
      const { keyId, signature } = await this.signer.sign(checkpointMessage(orgId, head.seq, head.hash, signedAt));
      await this.store.insertCheckpoint({ orgId, seq: head.seq, hash: head.hash, signedAt, keyId, signature });
      signed++;
    }
    return signed;
  }

  async checkpoints(ctx: RequestContext) {
    this.requireAuditor(ctx);
    const rows = await this.store.checkpoints(ctx.actor.orgId);
    return {
      items: rows.map((c) => ({
        seq: Number(c.seq),
        hash: c.hash.toString('hex'),
        signedAt: c.signed_at.toISOString(),
        keyId: c.key_id,
        signature: c.signature.toString('base64'),
      })),
    };
  }

  async publicKey() {
    const key = await this.signer.ensureKey();
    return { keyId: key.id, algorithm: 'Ed25519' as const, publicKeyPem: key.publicKeyPem };
  }
}
