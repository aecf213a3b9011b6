import type { AvailabilityPort } from './availability.port.js';
import type { RoutingStore, SlaTargetRow } from './routing.store.js';

/** Targets when an organization has set none: a routine answer within a business day, an urgent one within an hour. */
export const DEFAULT_SLA: readonly SlaTargetRow[] = [
  { org_id: '', topic: '*', priority: 'routine', response_minutes: 8 * 60, remind_before_minutes: 60 },
  { org_id: '', topic: '*', priority: 'urgent', response_minutes: 60, remind_before_minutes: 15 },
];

const TTL_MS = 5000;

/** Response-time targets and the due times they give, counted in business minutes. */
export class SlaPolicy {
  private readonly cache = new Map<string, { at: number; rows: SlaTargetRow[] }>();

  constructor(
    private readonly store: RoutingStore,
    private readonly availability: () => AvailabilityPort,
  ) {}

  async targets(orgId: string): Promise<SlaTargetRow[]> {
    const hit = this.cache.get(orgId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.rows;
    const rows = await this.store.slaTargets(orgId);
    this.cache.set(orgId, { at: Date.now(), rows });
    return rows;
  }

  invalidate(orgId: string): void {
    this.cache.delete(orgId);
  }

  /** The target for a topic and priority: its own, else the organization's '*', else the default. */
  async target(orgId: string, topic: string | null, priority: 'routine' | 'urgent'): Promise<SlaTargetRow> {
    const rows = await this.targets(orgId);
    const pick = (list: readonly SlaTargetRow[]) =>
      list.find((t) => t.priority === priority && t.topic === topic) ?? list.find((t) => t.priority === priority && t.topic === '*');
    return pick(rows) ?? pick(DEFAULT_SLA)!;
  }

  /** When a patient who starts waiting at `at` should have an answer, and when the assignee is reminded. */
  async dueFor(orgId: string, departmentId: string | null, topic: string | null, priority: 'routine' | 'urgent', at: Date): Promise<{ dueAt: Date; remindAt: Date | null }> {
    const t = await this.target(orgId, topic, priority);
    const dueAt = await this.availability().addBusinessMinutes(orgId, departmentId, at, t.response_minutes);
    const remindAt = t.remind_before_minutes > 0 ? new Date(Math.max(at.getTime(), dueAt.getTime() - t.remind_before_minutes * 60_000)) : null;
    return { dueAt, remindAt };
  }
}
