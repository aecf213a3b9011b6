import type { Static } from 'typebox';
import type { EventTicket, LiveEvent, Message, Role } from '@haven/api';
import { randomToken, sha256 } from '../../platform/crypto/hash.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { AuthService } from '../auth/auth.service.js';
import type { MessageService } from '../messages/message.service.js';
import { isStaffRole, seesInternalMessages } from '../policy/policy.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { EventStore, StoredEvent } from './event.store.js';

const TICKET_TTL_MS = 30_000;
const REPLAY_PAGE = 500;
/** A node counts as alive while its heartbeat is this fresh. */
export const NODE_LIVE_WITHIN_S = 20;

type Out = Static<typeof Message>;
/** A message as each kind of viewer may see it at delivery (see MessageService.forDelivery). */
interface DeliveredMessage {
  staff: Out;
  patient: Out | null;
  internal: boolean;
}
type Variant = 'staff' | 'patient';
const variantOf = (role: Role): Variant => (isStaffRole(role) ? 'staff' : 'patient');

/** Who a socket belongs to. */
export interface Subscriber {
  userId: string;
  orgId: string;
  role: Role;
  sessionId: string;
}

/**
 * An event ready to send: its audience and, per kind of viewer, its frame (serialized once, then sent to every
 * socket of that kind). `null` means this viewer gets nothing (a patient and a message retracted meanwhile).
 */
export class PreparedEvent {
  private readonly frames = new Map<Variant, string | null>();

  constructor(
    readonly event: StoredEvent,
    readonly audience: ReadonlySet<string>,
    private readonly messages: ReadonlyMap<string, DeliveredMessage>,
  ) {}

  get position(): bigint {
    return BigInt(this.event.position);
  }

  frame(role: Role): string | null {
    const variant = variantOf(role);
    if (!this.frames.has(variant)) this.frames.set(variant, this.build(variant));
    return this.frames.get(variant)!;
  }

  private build(variant: Variant): string | null {
    const e = this.event;
    // Staff-only events (internal notes, mentions, workflow, chart notes): the relay left patients out; the second lock.
    if (variant === 'patient' && e.staffOnly) return null;
    const out: LiveEvent = { cursor: e.position, type: e.kind as LiveEvent['type'], threadId: e.threadId, actorId: e.actorId, at: e.at };
    if (e.messageId) out.messageId = e.messageId;
    switch (e.kind) {
      case 'message.created':
      case 'message.edited':
      case 'message.retracted':
      case 'message.reaction': {
        const m = this.messages.get(e.messageId ?? '');
        if (!m) return null;
        // A patient learns nothing of an internal message, not even that it was retracted.
        if (variant === 'patient' && m.internal) return null;
        const shown = m[variant];
        // A patient never learns of a retracted message beyond the retraction itself (nor of reactions to it).
        if (!shown) return e.kind === 'message.retracted' ? JSON.stringify({ type: 'event', event: out }) : null;
        out.message = shown;
        if (e.kind === 'message.reaction') {
          out.reaction = { userId: e.actorId ?? '', emoji: typeof e.data.emoji === 'string' ? e.data.emoji : '', action: e.data.action === 'removed' ? 'removed' : 'added' };
        }
        break;
      }
      case 'receipts.updated': {
        // Read up to an internal note: a patient is told the newest message they may see instead (or nothing).
        const upto = variant === 'patient' && 'visibleUptoMessageId' in e.data ? e.data.visibleUptoMessageId : e.messageId;
        if (typeof upto !== 'string') return null;
        if (variant === 'patient') out.messageId = upto;
        out.receipts = { userId: e.actorId ?? '', status: e.data.status === 'read' ? 'read' : 'delivered', uptoMessageId: upto };
        break;
      }
      case 'mention.created':
      case 'mention.done':
        if (typeof e.data.mentionId === 'string') out.mentionId = e.data.mentionId;
        break;
      case 'thread.updated':
        // Staff only (staffOnly): the patient sees who answers through threads.get.
        out.change = typeof e.data.change === 'string' ? e.data.change : 'updated';
        if (e.data.workflow && typeof e.data.workflow === 'object') out.workflow = e.data.workflow as LiveEvent['workflow'];
        break;
      case 'sla.reminder':
      case 'safety.alert':
        // Staff only (staffOnly), addressed to one person: the thread id says where to look.
        break;
      // 0011: staff-only thread events and follow-up reminders carry ids only.
      case 'scheduled_message.changed':
        if (variant !== 'staff') return null;
        out.scheduledMessage = { id: String(e.data.scheduledMessageId ?? ''), state: String(e.data.state ?? '') };
        break;
      case 'chart_note.created':
      case 'chart_note.removed':
        if (variant !== 'staff') return null;
        out.chartNote = { id: String(e.data.chartNoteId ?? ''), patientId: String(e.data.patientId ?? '') };
        break;
      case 'followup.due':
        out.followUp = { id: String(e.data.followUpId ?? ''), patientId: String(e.data.patientId ?? ''), action: String(e.data.action ?? '') };
        break;
      case 'thread.created':
        out.thread = {
          kind: e.data.kind === 'internal' ? 'internal' : 'patient',
          patientId: typeof e.data.patientId === 'string' ? e.data.patientId : null,
          topic: typeof e.data.topic === 'string' ? e.data.topic : null,
        };
        break;
      case 'availability.changed': {
        // (availability) identifiers only: what changed, fetched again through the API.
        const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
        const scope = e.data.scope;
        if (scope !== 'hours' && scope !== 'holidays' && scope !== 'staff' && scope !== 'on_call') return null;
        out.availability = { scope, departmentId: str(e.data.departmentId), userId: str(e.data.userId) };
        break;
      }
      // cohorts: addressed to each staff member who sees the patient (user events)
      case 'patient.archived':
      case 'patient.unarchived':
        out.patient = { id: typeof e.data.patientId === 'string' ? e.data.patientId : '', archived: e.kind === 'patient.archived' };
        break;
    }
    return JSON.stringify({ type: 'event', event: out });
  }
}

/** Tickets, connection checks, replay and the preparation of events for delivery. */
export class EventService {
  constructor(
    private readonly store: EventStore,
    private readonly auth: AuthService,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
  ) {}

  /** A single-use ticket to open the event socket, valid for 30 seconds, bound to the caller's session. */
  async createTicket(ctx: RequestContext): Promise<Static<typeof EventTicket>> {
    const ticket = randomToken();
    const expiresAt = new Date(Date.now() + TICKET_TTL_MS);
    await this.store.createTicket(sha256(ticket), ctx.actor.sessionId, expiresAt);
    return { ticket, expiresAt: expiresAt.toISOString() };
  }

  /** The subscriber a ticket stands for; a used, expired or unknown ticket, or an ended session, is refused. */
  async redeemTicket(ticket: string): Promise<Subscriber> {
    if (!/^[A-Za-z0-9_-]{20,128}$/.test(ticket)) throw new AppError('unauthenticated', 'Invalid ticket');
    const sessionId = await this.store.redeemTicket(sha256(ticket));
    if (!sessionId) throw new AppError('unauthenticated', 'Invalid or expired ticket');
    return this.subscriberForSession(sessionId, true);
  }

  /** Re-checks a socket's session before acting for it; `activity` counts as user activity (idle timeout). */
  async subscriberForSession(sessionId: string, activity: boolean): Promise<Subscriber> {
    const s = await this.auth.authenticateSession(sessionId, activity);
    if (s.stage !== 'active') throw new AppError('unauthenticated', 'Finish signing in first');
    return { ...s.actor };
  }

  async subscriberForCookie(token: string): Promise<Subscriber> {
    const s = await this.auth.authenticate(token);
    if (s.transport !== 'cookie') throw new AppError('unauthenticated', 'Use a ticket for bearer sessions');
    if (s.stage !== 'active') throw new AppError('unauthenticated', 'Finish signing in first');
    return { ...s.actor };
  }

  liveSessions(sessionIds: string[]): Promise<Set<string>> {
    return this.auth.liveSessions(sessionIds);
  }

  /** Where a stream without a cursor starts, and the oldest cursor that can still be replayed. */
  async streamBounds(): Promise<{ head: string; prunedTo: string }> {
    const [head, prunedTo] = await Promise.all([this.store.headPosition(), this.store.prunedTo()]);
    return { head, prunedTo };
  }

  /** Loads what the events need (messages, decrypted once) and prepares them. */
  async prepare(events: (StoredEvent & { audience: readonly string[] })[]): Promise<PreparedEvent[]> {
    const messageIds = [...new Set(events.filter((e) => e.kind.startsWith('message.') && e.messageId).map((e) => e.messageId!))];
    const messages = await this.messages.forDelivery(messageIds);
    return events.map((e) => new PreparedEvent(e, new Set(e.audience), messages));
  }

  /**
   * One page of a subscriber's stream after `after`: the organization's events, each kept only if the subscriber
   * may see it now. `scannedTo` is where the next page starts; `done` when the stream is exhausted.
   */
  async replayPage(sub: Subscriber, after: string): Promise<{ events: PreparedEvent[]; scannedTo: string; done: boolean }> {
    const page = await this.store.range(sub.orgId, after, REPLAY_PAGE);
    if (page.length === 0) return { events: [], scannedTo: after, done: true };
    const threadIds = [...new Set(page.filter((e) => e.threadId && !e.userId).map((e) => e.threadId!))];
    const audience = await this.threads.audience(threadIds, [sub.orgId]);
    const mine = page.filter(
      (e) =>
        (!e.staffOnly || seesInternalMessages(sub.role)) &&
        (e.userId ? e.userId === sub.userId : (audience.get(e.threadId ?? '') ?? []).some((v) => v.userId === sub.userId)),
    );
    const events = await this.prepare(mine.map((e) => ({ ...e, audience: [sub.userId] })));
    return { events, scannedTo: page[page.length - 1]!.position, done: page.length < REPLAY_PAGE };
  }

  // Presence

  heartbeat(nodeId: string): Promise<void> {
    return this.store.heartbeat(nodeId);
  }

  async housekeeping(): Promise<void> {
    await this.store.dropDeadNodes(NODE_LIVE_WITHIN_S * 3);
    await this.store.dropExpiredTickets();
  }

  dropNode(nodeId: string): Promise<void> {
    return this.store.dropNode(nodeId);
  }

  setPresent(nodeId: string, sub: Subscriber, present: boolean): Promise<void> {
    return this.store.setPresent(nodeId, sub, present);
  }

  /** Of these users, who has an event socket open on any live node (for notifications: skip the connected). */
  connectedUsers(userIds: string[]): Promise<Set<string>> {
    return this.store.connected(userIds, NODE_LIVE_WITHIN_S);
  }

  connectedStaff(orgId: string): Promise<string[]> {
    return this.store.connectedStaff(orgId, NODE_LIVE_WITHIN_S);
  }
}
