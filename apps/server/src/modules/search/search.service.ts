import type { Static } from 'typebox';
import type { SearchRequest, SearchResult } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import { blindToken, tokenize } from '../../platform/crypto/blind-index.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { bodyAad } from '../messages/message.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import type { PatientService } from '../patients/patient.service.js';
import { isStaffRole, patientScope, seesInternalMessages, seesInternalThreads } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { SearchStore } from './search.store.js';

const SNIPPET = 160;

function snippet(body: string, words: string[]): string {
  const lower = body.toLowerCase();
  const at = Math.max(0, Math.min(...words.map((w) => lower.indexOf(w)).filter((i) => i >= 0), body.length));
  const start = Math.max(0, at - 40);
  const text = body.slice(start, start + SNIPPET);
  return `${start > 0 ? '…' : ''}${text}${start + SNIPPET < body.length ? '…' : ''}`;
}

/**
 * Message search over the per-organization blind index, narrowed by the policy's visibility rules in SQL,
 * then confirmed by decrypting each candidate (which also removes truncated-HMAC collisions).
 */
export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly store: SearchStore,
    private readonly threads: ThreadService,
    private readonly patients: PatientService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  async search(ctx: RequestContext, input: Static<typeof SearchRequest>): Promise<Static<typeof SearchResult>> {
    const words = tokenize(input.query);
    if (words.length === 0) throw new AppError('validation_failed', 'Search for at least one word of two or more letters or digits', { errors: [{ path: '/query', message: 'no searchable words' }] });
    if (words.length > 10) throw new AppError('validation_failed', 'Search for at most 10 words');
    if (input.threadId) await this.threads.require(ctx, input.threadId, 'threads.read');
    if (input.patientId && ctx.actor.role !== 'patient') await this.patients.requirePatient(ctx, input.patientId, 'patients.read');
    const settings = await this.orgs.settings(ctx.actor.orgId);
    const scope = patientScope(ctx.actor, settings, 'messages');
    const staff = isStaffRole(ctx.actor.role);
    if (scope.kind === 'none' && !seesInternalThreads(ctx.actor.role)) throw new AppError('forbidden', 'Your role does not read messages');
    const key = await this.keyring.blindIndexKey(ctx.actor.orgId);
    const limit = input.limit ?? 20;
    const rows = await this.store.candidates({
      orgId: ctx.actor.orgId,
      tokens: words.map((w) => blindToken(key, w)),
      scope,
      userId: ctx.actor.userId,
      internalThreads: seesInternalThreads(ctx.actor.role),
      threadId: input.threadId,
      patientId: input.patientId,
      includeRetracted: staff,
      includeInternal: seesInternalMessages(ctx.actor.role),
      limit: limit * 2,
    });
    const items: Static<typeof SearchResult>['items'] = [];
    for (const r of rows) {
      const body = await this.keyring.decrypt(r.key_id, r.body_ct, bodyAad(r.org_id, r.thread_id, r.id, r.current_version));
      const present = new Set(tokenize(body));
      if (!words.every((w) => present.has(w))) continue;
      items.push({ messageId: r.id, threadId: r.thread_id, patientId: r.patient_id, createdAt: r.created_at.toISOString(), snippet: snippet(body, words), internal: r.visibility === 'internal' });
      if (items.length === limit) break;
    }
    await this.audit.recordFor(this.db, ctx, {
        action: 'messages.search',
        resourceType: 'message',
        patientId: input.patientId ?? null,
        details: { words: words.length, returned: items.length, ...(input.threadId ? { threadId: input.threadId } : {}) },
      });
    return { items };
  }
}
