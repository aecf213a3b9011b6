import { randomUUID } from 'node:crypto';
import type { Static } from 'typebox';
import type { Template, TemplateCreate, TemplateListQuery, TemplateRender, TemplateRenderRequest, TemplateUpdate, TemplateVariableList } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { uniqueConflict, type OrganizationService } from '../organization/organization.service.js';
import { can, isClinical, type Action, type OrgPolicySettings } from '../policy/policy.js';
import { cleanLine, cleanText } from '../resources/resource.fields.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { UserService } from '../users/user.service.js';
import { DEFAULT_QUICK_REPLIES } from './template-defaults.js';
import { checkVariables, fill, formatToday, variableCatalogue, variablesOf, type VariableSources } from './template-variables.js';
import type { TemplatePatch, TemplateRow, TemplateStore } from './template.store.js';

/** Template rules do not depend on the organization's patient-visibility setting. */
const NO_SETTINGS: OrgPolicySettings = { staffSeeAllPatients: false };
/** Templates in use per scope: enough for any practice, and a bound on what a list returns. */
const MAX_IN_USE = { organization: 500, personal: 200 } as const;
const NAME_TAKEN = 'A template with this name is already in use here';

/** The thread a template is rendered for, as a responsible-provider lookup sees it. */
export interface ThreadRef {
  orgId: string;
  threadId: string;
  patientId: string | null;
}
/** Finds a thread's responsible provider: a user id of the thread's organization, or null. */
export type ResponsibleProvider = (thread: ThreadRef) => Promise<string | null>;

/**
 * Message templates and quick replies: organization templates (admins manage, providers and staff use) and personal
 * ones (their owner alone). Bodies are practice wording in plaintext; `render` fills the variables for one thread
 * (patient and staff names are decrypted for that alone) and returns the text for the composer: it is never stored,
 * cached or logged, and is sent, if at all, as an ordinary message.
 */
export class TemplateService {
  /** Organizations whose defaults this process has made sure of (the database decides; this only saves a query). */
  private readonly defaultsChecked = new Set<string>();
  private responsibleProvider: ResponsibleProvider = (t) => this.firstCareTeamProvider(t);

  constructor(
    private readonly db: Db,
    private readonly store: TemplateStore,
    private readonly threads: ThreadService,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Replaces how {provider.name} finds a thread's responsible provider. Integration point for thread assignment:
   * `templates.useResponsibleProvider(async (thread, fallback) => (await assigneeOf(thread)) ?? fallback(thread))`.
   * The default (`fallback`) is the first active provider of the patient's care teams, by name.
   */
  useResponsibleProvider(resolve: (thread: ThreadRef, fallback: ResponsibleProvider) => Promise<string | null>): void {
    const fallback: ResponsibleProvider = (t) => this.firstCareTeamProvider(t);
    this.responsibleProvider = (t) => resolve(t, fallback);
  }

  /** Role-level capability, decided before any id is looked at: patients and compliance get 403. */
  private requireRole(ctx: RequestContext, action: Action, detail = 'Your role does not use message templates'): void {
    if (!can(ctx.actor, action, { orgId: ctx.actor.orgId }, NO_SETTINGS)) throw new AppError('forbidden', detail);
  }

  /** A template of the caller's organization the caller may see (another person's personal one is 404). */
  private async load(ctx: RequestContext, id: string, lockIn?: Queryable): Promise<TemplateRow> {
    const row = await this.store.byId(ctx.actor.orgId, id.toLowerCase(), lockIn, lockIn !== undefined);
    if (!row || !can(ctx.actor, 'templates.read', { orgId: row.org_id, ownerId: row.owner_id }, NO_SETTINGS)) throw notFound('template');
    return row;
  }

  variables(ctx: RequestContext): Static<typeof TemplateVariableList> {
    this.requireRole(ctx, 'templates.read');
    return { items: variableCatalogue() };
  }

  async list(ctx: RequestContext, q: Static<typeof TemplateListQuery>): Promise<{ items: Template[] }> {
    this.requireRole(ctx, 'templates.read');
    await this.ensureDefaults(ctx);
    const rows = await this.store.list({
      orgId: ctx.actor.orgId,
      // Admins keep no personal templates; providers and staff see their own beside the organization's.
      personalOf: isClinical(ctx.actor.role) ? ctx.actor.userId : null,
      ...(q.scope ? { scope: q.scope } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.topic ? { topic: q.topic } : {}),
      archived: q.archived === true,
    });
    return { items: rows.map(present) };
  }

  /** Haven's default quick replies, added once per organization, on its first list (audited as the lister's action). */
  private async ensureDefaults(ctx: RequestContext): Promise<void> {
    const orgId = ctx.actor.orgId;
    if (this.defaultsChecked.has(orgId)) return;
    if (!(await this.store.seeded(orgId))) {
      await this.db.transaction().execute(async (tx) => {
        const rows = DEFAULT_QUICK_REPLIES.map((d) => ({ id: randomUUID(), key: d.key, kind: 'quick_reply' as const, name: d.name, body: d.body }));
        const added = await this.store.seed(tx, orgId, rows, new Date());
        if (added.length > 0) await this.audit.recordFor(tx, ctx, { action: 'templates.seed', resourceType: 'template', details: { added: added.length } });
      });
    }
    this.defaultsChecked.add(orgId);
  }

  async create(ctx: RequestContext, input: Static<typeof TemplateCreate>): Promise<Template> {
    this.requireRole(ctx, 'templates.read');
    const ownerId = input.scope === 'organization' ? null : ctx.actor.userId;
    if (!can(ctx.actor, 'templates.create', { orgId: ctx.actor.orgId, ownerId }, NO_SETTINGS)) {
      throw new AppError('forbidden', ownerId === null ? 'Only admins manage organization templates' : 'Personal templates are for providers and staff');
    }
    const { topics } = await this.orgs.settings(ctx.actor.orgId);
    const fields = checkFields({ name: input.name, body: input.body, kind: input.kind ?? 'template', topic: input.topic ?? null, archived: false }, topics);
    const id = randomUUID();
    const row = await this.db.transaction().execute(async (tx) => {
      if ((await this.store.countInUse(tx, ctx.actor.orgId, ownerId)) >= MAX_IN_USE[input.scope]) {
        throw new AppError('conflict', `At most ${MAX_IN_USE[input.scope]} ${input.scope} templates can be in use; archive some first`);
      }
      await this.store
        .insert(tx, { id, orgId: ctx.actor.orgId, ownerId, kind: fields.kind, name: fields.name, body: fields.body, topic: fields.topic, createdBy: ctx.actor.userId, at: new Date() })
        .catch(uniqueConflict(NAME_TAKEN));
      await this.audit.recordFor(tx, ctx, { action: 'templates.create', resourceType: 'template', resourceId: id, details: { scope: input.scope, kind: fields.kind } });
      return (await this.store.byId(ctx.actor.orgId, id, tx))!;
    });
    return present(row);
  }

  async get(ctx: RequestContext, id: string): Promise<Template> {
    this.requireRole(ctx, 'templates.read');
    return present(await this.load(ctx, id));
  }

  async update(ctx: RequestContext, id: string, patch: Static<typeof TemplateUpdate>): Promise<Template> {
    this.requireRole(ctx, 'templates.read');
    // Read before the transaction: no second pooled connection while it holds one.
    const { topics } = await this.orgs.settings(ctx.actor.orgId);
    const row = await this.db.transaction().execute(async (tx) => {
      const current = await this.load(ctx, id, tx);
      if (!can(ctx.actor, 'templates.manage', { orgId: current.org_id, ownerId: current.owner_id }, NO_SETTINGS)) {
        throw new AppError('forbidden', 'Only admins change organization templates');
      }
      const wasArchived = current.archived_at !== null;
      const fields = checkFields(
        {
          name: patch.name ?? current.name,
          body: patch.body ?? current.body,
          kind: patch.kind ?? current.kind,
          topic: patch.topic === undefined ? current.topic : patch.topic,
          archived: patch.archived ?? wasArchived,
        },
        topics,
        { body: patch.body !== undefined, topic: patch.topic !== undefined },
      );
      if (wasArchived && !fields.archived) {
        const scope = current.owner_id === null ? 'organization' : 'personal';
        if ((await this.store.countInUse(tx, current.org_id, current.owner_id)) >= MAX_IN_USE[scope]) throw new AppError('conflict', `At most ${MAX_IN_USE[scope]} ${scope} templates can be in use`);
      }
      await this.store.update(tx, current.org_id, current.id, fields, ctx.actor.userId, new Date(), wasArchived).catch(uniqueConflict(NAME_TAKEN));
      await this.audit.recordFor(tx, ctx, {
        action: 'templates.update',
        resourceType: 'template',
        resourceId: current.id,
        details: { fields: Object.keys(patch).sort().join(','), ...(patch.archived !== undefined ? { archived: fields.archived } : {}) },
      });
      return (await this.store.byId(current.org_id, current.id, tx))!;
    });
    return present(row);
  }

  /**
   * A template filled in for a thread the caller may write in. Variables without a value (no practice phone, no
   * patient in an internal thread) keep their placeholder and are listed in `missing`. The answer holds health
   * information (names): it is audited, never stored, cached or logged.
   */
  async render(ctx: RequestContext, id: string, input: Static<typeof TemplateRenderRequest>): Promise<TemplateRender> {
    this.requireRole(ctx, 'templates.use', 'Only providers and staff write messages from templates');
    const template = await this.load(ctx, id);
    if (template.archived_at) throw notFound('template');
    const { thread } = await this.threads.require(ctx, input.threadId, 'messages.send');
    const timeZone = input.timeZone ?? 'UTC';
    const now = new Date();
    let today: string;
    try {
      today = formatToday(now, timeZone);
    } catch {
      throw new AppError('validation_failed', '/body/timeZone: unknown time zone (use an IANA name such as America/Chicago)', { errors: [{ path: '/body/timeZone', message: 'unknown time zone' }] });
    }
    const ref: ThreadRef = { orgId: thread.org_id, threadId: thread.id, patientId: thread.kind === 'patient' ? thread.patient_id : null };
    const sources: VariableSources = {
      patientName: once(() => (ref.patientId ? this.nameOf(ref.orgId, ref.patientId) : Promise.resolve(null))),
      providerName: once(async () => {
        const providerId = await this.responsibleProvider(ref);
        return providerId ? this.nameOf(ref.orgId, providerId) : null;
      }),
      staffName: once(() => this.nameOf(ctx.actor.orgId, ctx.actor.userId)),
      practice: once(() => this.orgs.practice(thread.org_id)),
      today: () => today,
    };
    const { text, missing } = await fill(template.body, sources);
    await this.audit.recordFor(this.db, ctx, {
      action: 'templates.render',
      resourceType: 'template',
      resourceId: template.id,
      patientId: thread.patient_id,
      details: { threadId: thread.id, missing: missing.length },
    });
    return { templateId: template.id, threadId: thread.id, text, missing };
  }

  /** A user's name, decrypted (patients under their record key, staff under the organization's); null if unknown. */
  private async nameOf(orgId: string, userId: string): Promise<string | null> {
    const row = await this.users.byId(orgId, userId);
    return row ? this.users.cipher.open(row.key_id, row.org_id, row.id, 'name', row.name_ct) : null;
  }

  /** The default responsible provider: the first active provider of the patient's care teams, by name. */
  private async firstCareTeamProvider(t: ThreadRef): Promise<string | null> {
    if (!t.patientId) return null;
    const rows = await this.store.careTeamProviders(t.orgId, t.patientId);
    const named = await Promise.all(rows.map(async (r) => ({ id: r.id, name: (await this.users.cipher.open(r.key_id, r.org_id, r.id, 'name', r.name_ct)) ?? '' })));
    const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
    named.sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
    return named[0]?.id ?? null;
  }
}

/**
 * Checks and normalizes what a template says: one-line name, body with known variables only (422 naming the unknown
 * ones), a topic of the organization. `check` limits the checks to what a change touches, so a stored template whose
 * topic the organization dropped since can still be renamed.
 */
function checkFields(f: TemplatePatch, topics: string[], check: { body: boolean; topic: boolean } = { body: true, topic: true }): TemplatePatch {
  const name = cleanLine(f.name);
  const body = cleanText(f.body);
  if (!name) throw new AppError('validation_failed', 'The name is empty', { errors: [{ path: '/name', message: 'empty' }] });
  if (!body) throw new AppError('validation_failed', 'The body is empty', { errors: [{ path: '/body', message: 'empty' }] });
  if (check.body) checkVariables(body);
  if (check.topic && f.topic !== null && !topics.includes(f.topic)) {
    throw new AppError('validation_failed', `Unknown topic; choose one of: ${topics.join(', ')}`, { errors: [{ path: '/topic', message: 'unknown topic' }] });
  }
  return { ...f, name, body };
}

function present(r: TemplateRow): Template {
  return {
    id: r.id,
    scope: r.owner_id === null ? 'organization' : 'personal',
    ownerId: r.owner_id,
    kind: r.kind,
    name: r.name,
    body: r.body,
    topic: r.topic,
    variables: variablesOf(r.body),
    archived: r.archived_at !== null,
    isDefault: r.seed_key !== null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** A lazy value computed at most once. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load());
}
