import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db/database.js';

export interface AnalyticsRowRaw {
  key: string;
  threads: string;
  answered: string;
  fr_p50: number | null;
  fr_p90: number | null;
  res_p50: number | null;
  res_p90: number | null;
  responses: string;
  late_responses: string;
  off_hours: string;
  crisis: string;
}

const minutes = (to: string) => sql.raw(`extract(epoch from (t.${to} - t.first_patient_at)) / 60`);

/** Care analytics over the workflow columns of patient threads: one grouped query, no message bodies. */
export class AnalyticsStore {
  constructor(private readonly db: Db) {}

  async report(orgId: string, from: Date, to: Date, key: RawBuilder<string>): Promise<AnalyticsRowRaw[]> {
    const res = await sql<AnalyticsRowRaw>`
      SELECT ${key} AS key, count(*)::text AS threads, count(t.first_response_at)::text AS answered,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY ${minutes('first_response_at')}) FILTER (WHERE t.first_response_at IS NOT NULL) AS fr_p50,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY ${minutes('first_response_at')}) FILTER (WHERE t.first_response_at IS NOT NULL) AS fr_p90,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY ${minutes('closed_at')}) FILTER (WHERE t.closed_at IS NOT NULL) AS res_p50,
             percentile_cont(0.9) WITHIN GROUP (ORDER BY ${minutes('closed_at')}) FILTER (WHERE t.closed_at IS NOT NULL) AS res_p90,
             sum(t.responses)::text AS responses, sum(t.late_responses)::text AS late_responses, sum(t.off_hours_messages)::text AS off_hours,
             sum((SELECT count(*) FROM safety_alerts a WHERE a.thread_id = t.id))::text AS crisis
        FROM threads t
       WHERE t.org_id = ${orgId} AND t.kind = 'patient' AND t.first_patient_at >= ${from} AND t.first_patient_at < ${to}
       GROUP BY 1 ORDER BY 1`.execute(this.db);
    return res.rows;
  }

  async departmentNames(orgId: string): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom('departments').select(['id', 'name']).where('org_id', '=', orgId).execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  }
}
