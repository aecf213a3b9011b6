import { randomUUID } from 'node:crypto';
import type { Broadcast, BroadcastDraft, BroadcastPreview, BroadcastSelector } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { normalizeTags, tagIndexes } from '../cohorts/tag.crypto.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can, patientScope, type OrgPolicySettings } from '../policy/policy.js';
import type { MessagingAccess } from '../rollout/messaging-access.js';
import type { UserService } from '../users/user.service.js';
import { broadcastFieldAad } from './broadcast.fields.js';
import { recipientMessageId, recipientThreadId } from './broadcast.ids.js';
import { BROADCAST_VARIABLES, render, uses, variableProblems, variableValues, worstCaseLength } from './broadcast.render.js';
import type { BroadcastSender } from './broadcast.sender.js';
import type { BroadcastRow, BroadcastStore, RecipientCount, RecipientInsert } from './broadcast.store.js';

/** The most patients one broadcast reaches. */
export const MAX_RECIPIENTS = 10_000;
const SAMPLES = 3;
const BODY_MAX = 20_000;
/** Longest value a variable can have (names and the practice name are at most 200 characters). */
const VALUE_MAX = 200;

type SkipReason = 'archived' | 'messaging_not_enabled' | 'out_of_scope' | 'inactive';

/** Who a draft reaches now, decided by the policy (the author's patients) and the messaging gate. */
interface Plan {
  orgId: string;
  topic: string;
  selector: BroadcastSelector;
  eligible: string[];
  skipped: { patientId: string; reason: SkipReason }[];
}

/**
 * Broadcasts: one message to a cohort of patients (tags, care team, provider), delivered as one new thread per
 * patient, written by the author, throttled (BroadcastSender), audited and cancellable. Providers and staff only,
 * to the patients they may message (patientScope 'messages'); patients outside it are never selected nor counted.
 * Only the author sees a broadcast (others: 404).
 */
export class BroadcastService {
  constructor(
    private readonly db: Db,
    private readonly store: BroadcastStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly access: MessagingAccess,
    private readonly sender: BroadcastSender,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  private async requireRole(ctx: RequestContext): Promise<OrgPolicySettings & { topics: string[] }> {
    const settings = await this.orgs.settings(ctx.actor.orgId);
    if (!can(ctx.actor, 'broadcasts.create', { orgId: ctx.actor.orgId }, settings)) throw new AppError('forbidden', 'Only providers and staff send broadcasts');
    return settings;
  }

  /** Validates a draft and works out its recipients now. */
  private async plan(ctx: RequestContext, draft: BroadcastDraft): Promise<Plan> {
    const settings = await this.requireRole(ctx);
    const orgId = ctx.actor.orgId;
    const topic = draft.topic ?? 'other';
    if (!settings.topics.includes(topic)) {
      throw new AppError('validation_failed', `Unknown topic; choose one of: ${settings.topics.join(', ')}`, { errors: [{ path: '/topic', message: 'unknown topic' }] });
    }
    const problems = [...variableProblems(draft.subject).map((x) => ({ path: '/subject', ...x })), ...variableProblems(draft.body).map((x) => ({ path: '/body', ...x }))];
    if (problems.length > 0) {
      throw new AppError('unknown_variable', `${problems.map((x) => x.message).join('; ')}; a broadcast may use ${BROADCAST_VARIABLES.map((v) => `{${v}}`).join(', ')}`, {
        errors: problems.map(({ path, message }) => ({ path, message })),
      });
    }
    const practice = await this.orgs.get(ctx);
    if (!practice.practicePhone && (uses(draft.subject, 'practice.phone') || uses(draft.body, 'practice.phone'))) {
      throw new AppError('validation_failed', "{practice.phone} is empty: an admin sets the practice's phone number first (organization setting practicePhone)", {
        errors: [{ path: uses(draft.body, 'practice.phone') ? '/body' : '/subject', message: '{practice.phone} has no value' }],
      });
    }
    if (worstCaseLength(draft.body, VALUE_MAX) > BODY_MAX) {
      throw new AppError('validation_failed', `With its variables filled in, the body could exceed ${BODY_MAX} characters`, { errors: [{ path: '/body', message: 'too long once personalized' }] });
    }
    const selector: BroadcastSelector = {
      ...(draft.selector.tags ? { tags: normalizeTags(draft.selector.tags) } : {}),
      ...(draft.selector.careTeamId ? { careTeamId: draft.selector.careTeamId.toLowerCase() } : {}),
      ...(draft.selector.providerId ? { providerId: draft.selector.providerId.toLowerCase() } : {}),
    };
    if (selector.careTeamId) await this.orgs.assertCareTeams(orgId, [selector.careTeamId]);
    if (selector.providerId) await this.users.assertActiveStaff(orgId, [selector.providerId], ['provider']);
    const selected = await this.store.select(
      orgId,
      patientScope(ctx.actor, settings, 'messages'),
      { tagBidx: await tagIndexes(this.keyring, orgId, selector.tags ?? []), careTeamId: selector.careTeamId, providerId: selector.providerId },
      MAX_RECIPIENTS + 1,
    );
    if (selected.length > MAX_RECIPIENTS) throw new AppError('validation_failed', `More than ${MAX_RECIPIENTS} patients match; narrow the selection`, { errors: [{ path: '/selector', message: 'too many patients' }] });
    const decisions = await this.access.decide(orgId, selected);
    const eligible: string[] = [];
    const skipped: Plan['skipped'] = [];
    for (const patientId of selected) {
      const d = decisions.get(patientId);
      if (d?.archived) skipped.push({ patientId, reason: 'archived' });
      else if (!d?.enabled) skipped.push({ patientId, reason: 'messaging_not_enabled' });
      else eligible.push(patientId);
    }
    return { orgId, topic, selector, eligible, skipped };
  }

  async preview(ctx: RequestContext, draft: BroadcastDraft): Promise<BroadcastPreview> {
    const plan = await this.plan(ctx, draft);
    const org = await this.orgs.get(ctx);
    const practice = { name: org.name, phone: org.practicePhone };
    const first = plan.eligible.slice(0, SAMPLES);
    const rows = new Map((await this.users.byIds(plan.orgId, first)).map((r) => [r.id, r]));
    const samples = await Promise.all(
      first.map(async (patientId) => {
        const values = variableValues((await this.users.decryptIdentity(rows.get(patientId)!)).name, practice);
        return { patientId, subject: [...render(draft.subject, values)].slice(0, 200).join(''), body: render(draft.body, values) };
      }),
    );
    const skipped = skippedCounts(plan.skipped.map((s) => s.reason));
    await this.audit.recordFor(this.db, ctx, { action: 'broadcasts.preview', resourceType: 'broadcast', details: { recipients: plan.eligible.length, skipped: plan.skipped.length, samples: samples.length } });
    return { recipients: plan.eligible.length, skipped, samples };
  }

  /** Starts a broadcast: its recipients are fixed now (skipped ones recorded with their reason), a job sends. */
  async create(ctx: RequestContext, draft: BroadcastDraft): Promise<Broadcast> {
    const plan = await this.plan(ctx, draft);
    if (plan.eligible.length === 0) {
      throw new AppError('no_recipients', plan.skipped.length > 0 ? `All ${plan.skipped.length} matching patients would be skipped (archived or messaging not enabled)` : undefined);
    }
    const id = randomUUID();
    const orgId = plan.orgId;
    const keyId = await this.keyring.orgDataKeyId(orgId, 'organization');
    const recipient = (patientId: string, position: number, state: 'pending' | 'skipped', reason: string | null): RecipientInsert => ({
      broadcast_id: id,
      patient_id: patientId,
      org_id: orgId,
      position,
      state,
      reason,
      thread_id: recipientThreadId(id, patientId),
      message_id: recipientMessageId(id, patientId),
    });
    const rows = [
      ...plan.eligible.map((p, i) => recipient(p, i, 'pending', null)),
      ...plan.skipped.map((s, i) => recipient(s.patientId, plan.eligible.length + i, 'skipped', s.reason)),
    ];
    await this.db.transaction().execute(async (tx) => {
      const seal = (field: 'subject' | 'body' | 'selector', text: string) => this.keyring.encrypt(keyId, text, broadcastFieldAad(orgId, id, field), tx);
      await this.store.insert(tx, {
        id,
        org_id: orgId,
        created_by: ctx.actor.userId,
        key_id: keyId,
        subject_ct: await seal('subject', draft.subject),
        body_ct: await seal('body', draft.body),
        selector_ct: await seal('selector', JSON.stringify(plan.selector)),
        topic: plan.topic,
        created_at: new Date(),
      });
      await this.store.insertRecipients(tx, rows);
      await this.audit.recordFor(tx, ctx, {
        action: 'broadcasts.create',
        resourceType: 'broadcast',
        resourceId: id,
        details: { recipients: plan.eligible.length, skipped: plan.skipped.length, topic: plan.topic },
      });
      await this.sender.enqueue(tx, orgId, id);
    });
    return (await this.present([(await this.store.byId(orgId, id))!]))[0]!;
  }

  /** A broadcast the caller wrote, or 404 (someone else's, another organization's, made up). */
  private async load(ctx: RequestContext, id: string, settings: OrgPolicySettings): Promise<BroadcastRow> {
    const row = await this.store.byId(ctx.actor.orgId, id.toLowerCase());
    if (!row || !can(ctx.actor, 'broadcasts.read', { orgId: row.org_id, createdBy: row.created_by }, settings)) throw notFound('broadcast');
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Broadcast> {
    const row = await this.load(ctx, id, await this.requireRole(ctx));
    await this.audit.recordFor(this.db, ctx, { action: 'broadcasts.get', resourceType: 'broadcast', resourceId: row.id });
    return (await this.present([row]))[0]!;
  }

  async list(ctx: RequestContext, q: { limit?: number; cursor?: string }): Promise<{ items: Broadcast[]; nextCursor: string | null }> {
    await this.requireRole(ctx);
    const limit = q.limit ?? 50;
    let after: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      after = { micros: micros!, id: id! };
    }
    const rows = await this.store.byAuthor(ctx.actor.orgId, ctx.actor.userId, after, limit);
    const items = await this.present(rows);
    await this.audit.recordFor(this.db, ctx, { action: 'broadcasts.list', resourceType: 'broadcast', details: { returned: items.length } });
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(`${last.created_us}_${last.id}`) : null };
  }

  /**
   * Cancels the sends that have not gone out; the threads already made stay (they are the patients' record).
   * Cancelling again answers the broadcast as it is; a completed broadcast cannot be cancelled (409).
   */
  async cancel(ctx: RequestContext, id: string): Promise<Broadcast> {
    const row = await this.load(ctx, id, await this.requireRole(ctx));
    await this.db.transaction().execute(async (tx) => {
      const locked = (await this.store.byId(row.org_id, row.id, tx, true))!;
      if (locked.cancelled_at) return;
      if (locked.completed_at) throw new AppError('conflict', 'The broadcast has completed; there is nothing left to cancel');
      const cancelled = await this.store.cancel(tx, row.id, ctx.actor.userId);
      await this.audit.recordFor(tx, ctx, { action: 'broadcasts.cancel', resourceType: 'broadcast', resourceId: row.id, details: { cancelled } });
    });
    return (await this.present([(await this.store.byId(row.org_id, row.id))!]))[0]!;
  }

  private async present(rows: BroadcastRow[]): Promise<Broadcast[]> {
    const counts = await this.store.counts(rows.map((r) => r.id));
    return Promise.all(
      rows.map(async (r) => {
        const mine = counts.filter((c) => c.broadcast_id === r.id);
        const open = (field: 'subject' | 'body' | 'selector', ct: Buffer) => this.keyring.decrypt(r.key_id, ct, broadcastFieldAad(r.org_id, r.id, field));
        const [subject, body, selector] = await Promise.all([open('subject', r.subject_ct), open('body', r.body_ct), open('selector', r.selector_ct)]);
        return {
          id: r.id,
          subject,
          body,
          topic: r.topic,
          selector: JSON.parse(selector) as BroadcastSelector,
          state: r.cancelled_at ? 'cancelled' : r.completed_at ? 'completed' : r.started_at ? 'running' : 'queued',
          progress: {
            total: sum(mine),
            sent: sum(mine, 'sent'),
            skipped: sum(mine, 'skipped'),
            failed: sum(mine, 'failed'),
            cancelled: sum(mine, 'cancelled'),
            pending: sum(mine, 'pending'),
          },
          skipped: skippedFrom(mine),
          createdBy: r.created_by,
          createdAt: r.created_at.toISOString(),
          startedAt: r.started_at ? r.started_at.toISOString() : null,
          completedAt: r.completed_at ? r.completed_at.toISOString() : null,
          cancelledAt: r.cancelled_at ? r.cancelled_at.toISOString() : null,
        } satisfies Broadcast;
      }),
    );
  }
}

const sum = (counts: RecipientCount[], state?: RecipientCount['state']): number => counts.filter((c) => !state || c.state === state).reduce((n, c) => n + c.n, 0);

function skippedFrom(counts: RecipientCount[]): Broadcast['skipped'] {
  const count = (r: SkipReason) => sum(counts.filter((c) => c.state === 'skipped' && c.reason === r));
  return { archived: count('archived'), messagingNotEnabled: count('messaging_not_enabled'), outOfScope: count('out_of_scope'), inactive: count('inactive') };
}

function skippedCounts(reasons: (string | null)[]): Broadcast['skipped'] {
  const count = (r: SkipReason) => reasons.filter((x) => x === r).length;
  return { archived: count('archived'), messagingNotEnabled: count('messaging_not_enabled'), outOfScope: count('out_of_scope'), inactive: count('inactive') };
}
