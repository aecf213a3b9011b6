import { sql, type ExpressionBuilder, type SqlBool, type Expression } from 'kysely';
import type { InboxView } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { Database } from '../../platform/db/schema.js';
import type { PatientScope } from '../policy/policy.js';
import { careTeamPatients, visibleThreads } from '../threads/thread.store.js';

type Eb = ExpressionBuilder<Database & { t: Database['threads'] }, 't'>;

export interface InboxViewer {
  orgId: string;
  userId: string;
  scope: PatientScope;
  departmentId: string | null;
  now: Date;
}

/** Waiting for staff: the states that count as open work. */
const WAITING = ['unassigned', 'assigned', 'awaiting_staff'] as const;

/** Each inbox view as a condition on a patient thread `t` (visibility is applied separately). */
function viewCondition(eb: Eb, view: InboxView, v: InboxViewer): Expression<SqlBool> {
  switch (view) {
    case 'mine':
      return eb.and([eb('t.assignee_id', '=', v.userId), eb('t.state', '<>', 'closed')]);
    case 'unassigned':
      return eb('t.state', '=', 'unassigned');
    case 'care_teams':
      return eb.and([eb('t.state', '<>', 'closed'), eb('t.patient_id', 'in', careTeamPatients(eb, v.userId))]);
    case 'department':
      return v.departmentId ? eb.and([eb('t.department_id', '=', v.departmentId), eb('t.state', '<>', 'closed')]) : sql<SqlBool>`false`;
    case 'urgent':
      return eb.and([eb('t.priority', '=', 'urgent'), eb('t.state', '<>', 'closed')]);
    case 'overdue':
      return eb.and([eb('t.due_at', '<=', v.now), eb('t.state', 'in', WAITING)]);
    case 'awaiting_patient':
      return eb('t.state', '=', 'awaiting_patient');
    case 'closed':
      return eb('t.state', '=', 'closed');
  }
}

const VIEWS: InboxView[] = ['mine', 'unassigned', 'care_teams', 'department', 'urgent', 'overdue', 'awaiting_patient', 'closed'];

/** The due-time sort key: waiting threads by due time, then the rest (no due time) last. */
const NO_DUE = sql`'9999-12-31T00:00:00Z'::timestamptz`;
const dueKey = sql<string>`(extract(epoch from coalesce(t.due_at, ${NO_DUE})) * 1000000)::bigint`;
const activityKey = sql<string>`(extract(epoch from coalesce(t.last_message_at, t.created_at)) * 1000000)::bigint`;

export interface InboxCursor {
  due: string;
  activity: string;
  id: string;
}

/** The staff inbox: views of the patient threads an actor may see, soonest due first, and their counts. */
export class InboxStore {
  constructor(private readonly db: Db) {}

  private base(v: InboxViewer) {
    return this.db
      .selectFrom('threads as t')
      .where('t.org_id', '=', v.orgId)
      .where('t.kind', '=', 'patient')
      .where((eb) => visibleThreads(eb, v.scope, v.userId, false));
  }

  list(v: InboxViewer, view: InboxView, limit: number, after?: InboxCursor) {
    let q = this.base(v)
      .selectAll('t')
      .select([dueKey.as('due_key'), activityKey.as('activity_us')])
      .select((eb) =>
        eb
          .selectFrom('messages as m')
          .select(sql<string>`count(*)`.as('n'))
          .whereRef('m.thread_id', '=', 't.id')
          .where('m.sender_id', '<>', v.userId)
          .where((w) => w.not(w.exists(w.selectFrom('message_receipts as r').select('r.message_id').whereRef('r.message_id', '=', 'm.id').where('r.user_id', '=', v.userId).where('r.read_at', 'is not', null))))
          .as('unread'),
      )
      .where((eb) => viewCondition(eb, view, v));
    if (after) {
      // Due time ascending, then most recent activity first, then id: a keyset over mixed directions.
      q = q.where(
        sql<SqlBool>`(${dueKey} > ${after.due}::bigint OR (${dueKey} = ${after.due}::bigint AND (${activityKey}, t.id) < (${after.activity}::bigint, ${after.id}::uuid)))`,
      );
    }
    return q.orderBy(sql`coalesce(t.due_at, ${NO_DUE})`, 'asc').orderBy(sql`coalesce(t.last_message_at, t.created_at)`, 'desc').orderBy('t.id', 'desc').limit(limit).execute();
  }

  /** Every view's count in one pass over the visible open and closed threads. */
  async counts(v: InboxViewer): Promise<Record<InboxView, number>> {
    const row = await this.base(v)
      .select((eb) => VIEWS.map((view) => sql<string>`count(*) FILTER (WHERE ${viewCondition(eb, view, v)})`.as(view)))
      .executeTakeFirstOrThrow();
    const r = row as Record<string, string>;
    return Object.fromEntries(VIEWS.map((view) => [view, Number(r[view] ?? 0)])) as Record<InboxView, number>;
  }
}
