import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Static } from 'typebox';
import type { AnalyticsQuery, AnalyticsReport, AnalyticsRow } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { UserService } from '../users/user.service.js';
import type { AnalyticsStore, AnalyticsRowRaw } from './analytics.store.js';

const MAX_RANGE_DAYS = 731;
const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

/** Care analytics for admins: response and resolution times, volumes, SLA adherence, off-hours and crisis counts. */
export class AnalyticsService {
  constructor(
    private readonly db: Db,
    private readonly store: AnalyticsStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
  ) {}

  async report(ctx: RequestContext, q: Static<typeof AnalyticsQuery>): Promise<Static<typeof AnalyticsReport>> {
    if (!can(ctx.actor, 'analytics.read', { orgId: ctx.actor.orgId }, await this.orgs.settings(ctx.actor.orgId))) {
      throw new AppError('forbidden', 'Analytics are for practice admins');
    }
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (!(to > from) || to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw new AppError('validation_failed', `"to" must be after "from", at most ${MAX_RANGE_DAYS} days later`, { errors: [{ path: '/query/to', message: 'invalid range' }] });
    }
    const groupBy = q.groupBy ?? 'staff';
    const period = q.period ?? 'week';
    const key =
      groupBy === 'staff'
        ? sql<string>`coalesce(t.first_responder_id::text, 'unanswered')`
        : groupBy === 'topic'
          ? sql<string>`coalesce(t.topic, 'other')`
          : groupBy === 'department'
            ? sql<string>`coalesce(t.department_id::text, 'none')`
            : sql<string>`to_char(date_trunc(${period}, t.first_patient_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`;
    const raw = await this.store.report(ctx.actor.orgId, from, to, key);
    const labels = await this.labels(ctx.actor.orgId, groupBy, raw);
    await this.audit.recordFor(this.db, ctx, { action: 'analytics.report', resourceType: 'organization', resourceId: ctx.actor.orgId, details: { groupBy, rows: raw.length } });
    return { from: from.toISOString(), to: to.toISOString(), groupBy, rows: raw.map((r) => present(r, labels.get(r.key) ?? r.key)) };
  }

  async exportCsv(ctx: RequestContext, q: Static<typeof AnalyticsQuery>): Promise<Readable> {
    const r = await this.report(ctx, q);
    const head = ['key', 'label', 'threads', 'answered', 'first_response_median_min', 'first_response_p90_min', 'resolution_median_min', 'resolution_p90_min', 'responses', 'late_responses', 'sla_adherence', 'off_hours_messages', 'crisis_alerts'];
    const lines = r.rows.map((x) =>
      [x.key, x.label, x.threads, x.answered, x.firstResponse.medianMinutes, x.firstResponse.p90Minutes, x.resolution.medianMinutes, x.resolution.p90Minutes, x.responses, x.lateResponses, x.slaAdherence, x.offHoursMessages, x.crisisAlerts]
        .map(csvCell)
        .join(','),
    );
    return Readable.from([`${[head.join(','), ...lines].join('\r\n')}\r\n`]);
  }

  private async labels(orgId: string, groupBy: string, raw: AnalyticsRowRaw[]): Promise<Map<string, string>> {
    if (groupBy === 'staff') {
      const names = await this.users.names(orgId, raw.map((r) => r.key).filter((k) => k !== 'unanswered'));
      return new Map([...names, ['unanswered', 'Not answered yet']]);
    }
    if (groupBy === 'department') return new Map([...(await this.store.departmentNames(orgId)), ['none', 'No department']]);
    return new Map();
  }
}

function present(r: AnalyticsRowRaw, label: string): AnalyticsRow {
  const responses = Number(r.responses);
  const late = Number(r.late_responses);
  return {
    key: r.key,
    label,
    threads: Number(r.threads),
    answered: Number(r.answered),
    firstResponse: { medianMinutes: round(r.fr_p50), p90Minutes: round(r.fr_p90) },
    resolution: { medianMinutes: round(r.res_p50), p90Minutes: round(r.res_p90) },
    responses,
    lateResponses: late,
    slaAdherence: responses > 0 ? Math.round(((responses - late) / responses) * 1000) / 1000 : null,
    offHoursMessages: Number(r.off_hours),
    crisisAlerts: Number(r.crisis),
  };
}

/** A CSV cell: quoted when needed; a leading =, +, - or @ is neutralized so spreadsheets never run it as a formula. */
function csvCell(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
