import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Database, ThreadStateValue } from '../../platform/db/schema.js';

export type WorkflowRow = Pick<
  Selectable<Database['threads']>,
  'id' | 'org_id' | 'kind' | 'patient_id' | 'topic' | 'state' | 'priority' | 'department_id' | 'queue_id' | 'assignee_id' | 'due_at' | 'remind_at' | 'waiting_since' | 'reminded_at' | 'escalated_at' | 'covering_for_id'
>;

/** A change of a thread's workflow; unset fields stay as they are. */
export interface WorkflowChange {
  state?: ThreadStateValue;
  priority?: 'routine' | 'urgent';
  assigneeId?: string | null;
  queueId?: string | null;
  coveringForId?: string | null;
  dueAt?: Date | null;
  remindAt?: Date | null;
  closedAt?: Date | null;
  remindedAt?: Date | null;
  escalatedAt?: Date | null;
  at: Date;
}

const WORKFLOW_COLUMNS = [
  'id', 'org_id', 'kind', 'patient_id', 'topic', 'state', 'priority', 'department_id', 'queue_id', 'assignee_id', 'due_at', 'remind_at', 'waiting_since', 'reminded_at', 'escalated_at', 'covering_for_id',
] as const;

/** SQL of thread workflow transitions and of the SLA sweep. */
export class WorkflowStore {
  constructor(private readonly db: Db) {}

  /**
   * The thread's workflow, locked for the caller's transaction (changes of one thread run one at a time). The system
   * (SLA sweep) passes `anyOrg` for threads it found itself; callers acting for a user always pass their organization.
   */
  lockThread(tx: Queryable, orgId: string, threadId: string, anyOrg = false): Promise<WorkflowRow | undefined> {
    let q = tx.selectFrom('threads').select(WORKFLOW_COLUMNS).where('id', '=', threadId).where('kind', '=', 'patient');
    if (!anyOrg) q = q.where('org_id', '=', orgId);
    return q.forNoKeyUpdate().executeTakeFirst();
  }

  flags(orgId: string, threadIds: string[]) {
    if (threadIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('threads').select(['id', 'assignee_id', 'priority']).where('org_id', '=', orgId).where('id', 'in', threadIds).execute();
  }

  async update(tx: Queryable, threadId: string, c: WorkflowChange, previousState: ThreadStateValue | null): Promise<void> {
    await tx
      .updateTable('threads')
      .set({
        ...(c.state !== undefined ? { state: c.state } : {}),
        ...(c.state !== undefined && c.state !== previousState ? { state_changed_at: c.at } : {}),
        ...(c.priority !== undefined ? { priority: c.priority } : {}),
        ...(c.assigneeId !== undefined ? { assignee_id: c.assigneeId } : {}),
        ...(c.queueId !== undefined ? { queue_id: c.queueId } : {}),
        ...(c.coveringForId !== undefined ? { covering_for_id: c.coveringForId } : {}),
        ...(c.dueAt !== undefined ? { due_at: c.dueAt } : {}),
        ...(c.remindAt !== undefined ? { remind_at: c.remindAt } : {}),
        ...(c.closedAt !== undefined ? { closed_at: c.closedAt } : {}),
        ...(c.remindedAt !== undefined ? { reminded_at: c.remindedAt } : {}),
        ...(c.escalatedAt !== undefined ? { escalated_at: c.escalatedAt } : {}),
      })
      .where('id', '=', threadId)
      .execute();
  }

  /** Open threads each of these staff members owns (least-loaded assignment). */
  async openLoad(orgId: string, userIds: string[], tx: Queryable = this.db): Promise<Map<string, number>> {
    const out = new Map(userIds.map((u) => [u, 0]));
    if (userIds.length === 0) return out;
    const rows = await tx
      .selectFrom('threads')
      .select(['assignee_id', sql<string>`count(*)`.as('n')])
      .where('org_id', '=', orgId)
      .where('kind', '=', 'patient')
      .where('assignee_id', 'in', userIds)
      .where('state', '<>', 'closed')
      .groupBy('assignee_id')
      .execute();
    for (const r of rows) if (r.assignee_id) out.set(r.assignee_id, Number(r.n));
    return out;
  }

  /** Owned waiting threads whose reminder time has come, not reminded yet and not yet due. */
  dueForReminder(now: Date, limit: number) {
    return this.db
      .selectFrom('threads')
      .select(WORKFLOW_COLUMNS)
      .where('remind_at', '<=', now)
      .where('reminded_at', 'is', null)
      .where('due_at', '>', now)
      .where('assignee_id', 'is not', null)
      .where('state', 'in', ['assigned', 'awaiting_staff'])
      .orderBy('remind_at')
      .limit(limit)
      .execute();
  }

  /** Waiting threads past their due time that were not escalated yet. */
  overdue(now: Date, limit: number) {
    return this.db
      .selectFrom('threads')
      .select(WORKFLOW_COLUMNS)
      .where('due_at', '<=', now)
      .where('escalated_at', 'is', null)
      .where('state', 'in', ['unassigned', 'assigned', 'awaiting_staff'])
      .orderBy('due_at')
      .limit(limit)
      .execute();
  }

}
