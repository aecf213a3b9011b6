import type { ChartNote, ChartNoteCreate } from '@haven/api';
import type { Db, Queryable } from '../../platform/db/database.js';
import { aad } from '../../platform/crypto/aead.js';
import { hmac, safeEqual } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { decodeTimeCursor, encodeCursor } from '../../platform/http/cursor.js';
import { AppError, notFound } from '../../platform/http/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventOutbox } from '../events/event.outbox.js';
import type { MessageHead, MessageService } from '../messages/message.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import type { PatientService } from '../patients/patient.service.js';
import { can, isClinical, type Action } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { ChartNoteRow, ChartNoteStore } from './chart-note.store.js';

/** Both texts are bound to their note and field: chart_note|org|patient|id|excerpt (or comment). */
const fieldAad = (r: { org_id: string; patient_id: string; id: string }, field: 'excerpt' | 'comment'): string => aad('chart_note', r.org_id, r.patient_id, r.id, field);

/**
 * Whether a patient may see what a chart note quotes: never a retracted message nor an internal note, so that their
 * text never reaches the patient through their chart. (Notes cannot be charted at all; this is the second lock.)
 */
const patientSeesSource = (head: MessageHead | undefined): boolean => head !== undefined && !head.retracted && !head.internal;

/**
 * Chart notes: providers and staff who see a patient mark a message of the patient's thread, or an exact excerpt of
 * its current text, as clinically relevant. The note keeps a copy of the text (encrypted under the patient's key),
 * the message and version it came from, who marked it and when. The patient reads their own timeline (right of
 * access), never what their thread no longer shows them. Un-marking keeps the note for the record.
 */
export class ChartNoteService {
  constructor(
    private readonly db: Db,
    private readonly store: ChartNoteStore,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly patients: PatientService,
    private readonly orgs: OrganizationService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
    private readonly outbox: EventOutbox,
  ) {}

  private requireClinical(ctx: RequestContext): void {
    if (!isClinical(ctx.actor.role)) throw new AppError('forbidden', 'Only providers and staff mark chart notes');
  }

  /** The patient record for `action`: 404 when the caller may not see it, 403 when they see it but may not do this. */
  private async requirePatient(ctx: RequestContext, patientId: string, action: Action): Promise<void> {
    const found = await this.patients.resource(ctx, patientId);
    const settings = await this.orgs.settings(ctx.actor.orgId);
    if (found && can(ctx.actor, action, found.resource, settings)) return;
    if (found && can(ctx.actor, 'patients.read', found.resource, settings)) throw new AppError('forbidden', 'Your role cannot do this with chart notes');
    throw notFound('patient');
  }

  private async requestHash(keyId: string, threadId: string, messageId: string, input: ChartNoteCreate): Promise<Buffer> {
    return hmac(await this.keyring.dataKey(keyId), JSON.stringify(['haven-chart-note', threadId, messageId, input.excerpt ?? null, input.comment ?? null]));
  }

  private async present(r: ChartNoteRow, view: 'staff' | 'patient', head: MessageHead | undefined): Promise<ChartNote> {
    const sourceRetracted = head?.retracted === true;
    const showExcerpt = view === 'staff' || patientSeesSource(head);
    return {
      id: r.id,
      patientId: r.patient_id,
      threadId: r.thread_id,
      messageId: r.message_id,
      messageVersion: r.message_version,
      excerpt: showExcerpt ? await this.keyring.decrypt(r.key_id, r.excerpt_ct, fieldAad(r, 'excerpt')) : null,
      wholeMessage: r.whole_message,
      comment: r.comment_ct ? await this.keyring.decrypt(r.key_id, r.comment_ct, fieldAad(r, 'comment')) : null,
      createdBy: r.created_by,
      createdAt: r.created_at.toISOString(),
      removedAt: r.removed_at ? r.removed_at.toISOString() : null,
      removedBy: r.removed_by,
      ...(view === 'staff' ? { sourceRetracted } : {}),
    };
  }

  private async head(orgId: string, messageId: string, tx?: Queryable): Promise<MessageHead | undefined> {
    return (await this.messages.heads(orgId, [messageId], tx))[0];
  }

  /**
   * Marks a message (or an excerpt of its current text) as clinically relevant. Idempotent by the client's id: the
   * same request again answers the stored note (`replayed`); another request under that id is 409.
   */
  async create(ctx: RequestContext, threadId: string, messageId: string, input: ChartNoteCreate): Promise<{ note: ChartNote; replayed: boolean }> {
    this.requireClinical(ctx);
    const { thread, resource } = await this.threads.require(ctx, threadId, 'threads.read');
    if (thread.kind !== 'patient' || !thread.patient_id) throw new AppError('not_a_patient_thread', 'Chart notes belong to a patient: mark messages of patient threads');
    if (!can(ctx.actor, 'chartNotes.write', resource, await this.orgs.settings(ctx.actor.orgId))) throw notFound('thread');
    const id = input.id.toLowerCase();
    const hash = await this.requestHash(thread.key_id, thread.id, messageId.toLowerCase(), input);
    const replay = async (): Promise<ChartNote> => {
      const existing = await this.store.byId(id);
      if (!existing || existing.org_id !== thread.org_id || existing.created_by !== ctx.actor.userId || !safeEqual(existing.request_hash, hash)) {
        throw new AppError('idempotency_conflict', 'This id belongs to another chart note');
      }
      return this.present(existing, 'staff', await this.head(existing.org_id, existing.message_id));
    };
    if (await this.store.byId(id)) return { note: await replay(), replayed: true };

    // The message as the caller sees it now (404 if it is not in this thread); reading it is audited as a read.
    const message = await this.messages.get(ctx, thread.id, messageId);
    if (message.retracted) throw new AppError('conflict', 'A retracted message cannot be marked as clinically relevant');
    // The patient reads their chart: an internal note (staff only) would reach them through it.
    if (message.internal) throw new AppError('conflict', 'An internal note cannot be marked as clinically relevant: the patient reads their chart');
    const text = message.body ?? '';
    if (input.excerpt !== undefined && !text.includes(input.excerpt)) {
      throw new AppError('excerpt_not_in_message', "The excerpt must be an exact part of the message's current text", { errors: [{ path: '/body/excerpt', message: 'not found in the message' }] });
    }
    const excerpt = input.excerpt ?? text;
    const wholeMessage = excerpt === text;
    const row = { org_id: thread.org_id, patient_id: thread.patient_id, id };
    const at = new Date();
    const inserted = await this.db.transaction().execute(async (tx) => {
      const ok = await this.store.insert(tx, {
        id,
        orgId: thread.org_id,
        patientId: thread.patient_id!,
        threadId: thread.id,
        messageId: message.id,
        messageVersion: message.version,
        keyId: thread.key_id,
        excerptCt: await this.keyring.encrypt(thread.key_id, excerpt, fieldAad(row, 'excerpt'), tx),
        wholeMessage,
        commentCt: input.comment === undefined ? null : await this.keyring.encrypt(thread.key_id, input.comment, fieldAad(row, 'comment'), tx),
        requestHash: hash,
        createdBy: ctx.actor.userId,
        at,
      });
      if (!ok) return false;
      await this.audit.recordFor(tx, ctx, {
        action: 'chartNotes.create',
        resourceType: 'chart_note',
        resourceId: id,
        patientId: thread.patient_id,
        details: { threadId: thread.id, messageId: message.id, messageVersion: message.version, wholeMessage, comment: input.comment !== undefined },
      });
      await this.outbox.record(tx, [
        { orgId: thread.org_id, kind: 'chart_note.created', threadId: thread.id, messageId: message.id, actorId: ctx.actor.userId, data: { chartNoteId: id, patientId: thread.patient_id }, staffOnly: true },
      ]);
      return true;
    });
    if (!inserted) return { note: await replay(), replayed: true };
    this.outbox.committed();
    const stored = (await this.store.byId(id))!;
    return { note: await this.present(stored, 'staff', { id: message.id, threadId: thread.id, senderId: message.senderId, retracted: false, internal: message.internal }), replayed: false };
  }

  /**
   * The patient's timeline, newest first: providers and staff who see the patient (optionally with un-marked notes),
   * and the patient (read-only; never un-marked notes, never the excerpt of a message their thread no longer shows).
   */
  async list(ctx: RequestContext, patientId: string, q: { includeRemoved?: boolean; limit?: number; cursor?: string }) {
    await this.requirePatient(ctx, patientId, 'chartNotes.read');
    const view = isClinical(ctx.actor.role) ? 'staff' : 'patient';
    if (q.includeRemoved && view !== 'staff') throw new AppError('forbidden', 'Un-marked chart notes are for the care team');
    const limit = q.limit ?? 50;
    let before: { micros: string; id: string } | undefined;
    if (q.cursor) {
      const { micros, id } = decodeTimeCursor(q.cursor);
      before = { micros: micros!, id: id! };
    }
    const rows = await this.store.timeline(ctx.actor.orgId, patientId, { includeRemoved: q.includeRemoved === true, before, limit });
    const heads = new Map((await this.messages.heads(ctx.actor.orgId, rows.map((r) => r.message_id))).map((h) => [h.id, h]));
    const items = await Promise.all(rows.map((r) => this.present(r, view, heads.get(r.message_id))));
    await this.audit.recordFor(this.db, ctx, { action: 'chartNotes.list', resourceType: 'patient', resourceId: patientId, patientId, details: { returned: items.length, includeRemoved: q.includeRemoved === true } });
    const last = rows[rows.length - 1];
    return { items, nextCursor: rows.length === limit && last ? encodeCursor(`${last.created_us}_${last.id}`) : null };
  }

  /** Un-marks a chart note: it leaves the default timeline and stays for the record (removed_at, removed_by). */
  async remove(ctx: RequestContext, patientId: string, chartNoteId: string): Promise<ChartNote> {
    this.requireClinical(ctx);
    await this.requirePatient(ctx, patientId, 'chartNotes.write');
    const { row, changed } = await this.db.transaction().execute(async (tx) => {
      const row = await this.store.byId(chartNoteId.toLowerCase(), tx, true);
      if (!row || row.org_id !== ctx.actor.orgId || row.patient_id !== patientId.toLowerCase()) throw notFound('chart note');
      if (row.removed_at) return { row, changed: false };
      await this.store.remove(tx, row.id, ctx.actor.userId, new Date());
      await this.audit.recordFor(tx, ctx, { action: 'chartNotes.remove', resourceType: 'chart_note', resourceId: row.id, patientId: row.patient_id, details: { threadId: row.thread_id, messageId: row.message_id } });
      await this.outbox.record(tx, [
        { orgId: row.org_id, kind: 'chart_note.removed', threadId: row.thread_id, messageId: row.message_id, actorId: ctx.actor.userId, data: { chartNoteId: row.id, patientId: row.patient_id }, staffOnly: true },
      ]);
      return { row: (await this.store.byId(row.id, tx))!, changed: true };
    });
    if (changed) this.outbox.committed();
    return this.present(row, 'staff', await this.head(row.org_id, row.message_id));
  }
}
