import type { Static } from 'typebox';
import type { InboxCounts, InboxQuery, Thread } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { CURSOR_UUID, decodeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError } from '../../platform/http/errors.js';
import type { Clock } from '../../platform/time/clock.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { isClinical, patientScope } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { UserService } from '../users/user.service.js';
import type { InboxStore, InboxViewer } from './inbox.store.js';

const INBOX_CURSOR = new RegExp(`^\\d{1,18}_\\d{1,18}_${CURSOR_UUID}$`);

/** The staff inbox: the views and their counts, for the providers and staff who answer patients. */
export class InboxService {
  constructor(
    private readonly db: Db,
    private readonly store: InboxStore,
    private readonly threads: ThreadService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  private async viewer(ctx: RequestContext): Promise<InboxViewer> {
    if (!isClinical(ctx.actor.role)) throw new AppError('forbidden', 'The inbox is for the providers and staff who answer patients');
    const me = await this.users.byId(ctx.actor.orgId, ctx.actor.userId);
    const settings = await this.orgs.settings(ctx.actor.orgId);
    return { orgId: ctx.actor.orgId, userId: ctx.actor.userId, scope: patientScope(ctx.actor, settings, 'messages'), departmentId: me?.department_id ?? null, now: this.clock.now() };
  }

  async list(ctx: RequestContext, q: Static<typeof InboxQuery>): Promise<{ items: Static<typeof Thread>[]; nextCursor: string | null }> {
    const v = await this.viewer(ctx);
    const limit = q.limit ?? 50;
    let after;
    if (q.cursor) {
      const [due, activity, id] = decodeCursor(q.cursor, INBOX_CURSOR).split('_');
      after = { due: due!, activity: activity!, id: id! };
    }
    const rows = await this.store.list(v, q.view, limit, after);
    const items = await this.threads.present(ctx, rows, rows.map((r) => Number(r.unread)));
    await this.audit.recordFor(this.db, ctx, { action: 'inbox.list', resourceType: 'thread', details: { view: q.view, returned: items.length } });
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(`${last.due_key}_${last.activity_us}_${last.id}`) : null };
  }

  async counts(ctx: RequestContext): Promise<Static<typeof InboxCounts>> {
    return this.store.counts(await this.viewer(ctx));
  }
}
