import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { PatientScope } from '../policy/policy.js';
import { visibleThreads } from '../threads/thread.store.js';

export class SearchStore {
  constructor(private readonly db: Db) {}

  /** Messages whose current text has every token, within the threads the actor may see, newest first. */
  candidates(q: { orgId: string; tokens: Buffer[]; scope: PatientScope; userId: string; internalThreads: boolean; threadId?: string; patientId?: string; includeRetracted: boolean; includeInternal: boolean; limit: number }) {
    let query = this.db
      .selectFrom('message_search as s')
      .innerJoin('messages as m', 'm.id', 's.message_id')
      .innerJoin('threads as t', 't.id', 's.thread_id')
      .innerJoin('message_versions as v', (j) => j.onRef('v.message_id', '=', 'm.id').onRef('v.version', '=', 'm.current_version'))
      .select(['m.id', 'm.org_id', 'm.thread_id', 'm.created_at', 'm.current_version', 'm.seq', 'm.visibility', 't.patient_id', 't.key_id', 'v.body_ct'])
      .where('s.org_id', '=', q.orgId)
      .where(sql<boolean>`s.tokens @> ${q.tokens}::bytea[]`)
      .where((eb) => visibleThreads(eb, q.scope, q.userId, q.internalThreads));
    if (!q.includeRetracted) query = query.where('m.retracted_at', 'is', null);
    // Internal notes never match a patient's search (staff search finds them).
    if (!q.includeInternal) query = query.where('m.visibility', '=', 'patient');
    if (q.threadId) query = query.where('s.thread_id', '=', q.threadId);
    if (q.patientId) query = query.where('t.patient_id', '=', q.patientId);
    return query
      .orderBy('m.seq', 'desc')
      .limit(q.limit)
      .execute();
  }
}
