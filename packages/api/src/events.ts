import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';
import { Message, MessageCreate, ThreadKind } from './messaging.js';
import { InboxCounts, ThreadWorkflow } from './workflow.js';
import { AvailabilityChange } from './availability.js';

/**
 * Live events over the WebSocket `/api/v1/events`.
 *
 * Every user has one ordered stream. Each event carries its `cursor` (a position in the stream); a client that
 * reconnects with `?cursor=<last cursor it processed>` receives exactly the events it missed, in order, once,
 * then a `ready` frame, then live events. Without a cursor the stream starts at `ready` (live from now).
 */
export const StreamCursor = Type.String({ pattern: '^[0-9]{1,19}$', description: 'Position in the event stream' });

export const LiveEventType = Type.Union([
  Type.Literal('message.created'),
  Type.Literal('message.edited'),
  Type.Literal('message.retracted'),
  Type.Literal('receipts.updated'),
  Type.Literal('thread.created'),
  Type.Literal('access.changed'),
  /** Staff only: a patient thread's workflow changed (assigned, claimed, closed, reopened, priority, escalated, overdue). */
  Type.Literal('thread.updated'),
  /** To one staff member: a thread they own is due soon (SLA reminder). */
  Type.Literal('sla.reminder'),
  /** To on-call staff: a patient message matched the crisis lexicon (no text; open the thread). */
  Type.Literal('safety.alert'),
  Type.Literal('availability.changed'),
  // 0011: staff only (never delivered to patients)
  Type.Literal('scheduled_message.changed'),
  Type.Literal('chart_note.created'),
  Type.Literal('chart_note.removed'),
  // 0011: to the one staff member who set the follow-up
  Type.Literal('followup.due'),
  // cohorts: a patient was archived or unarchived (staff who see the patient)
  Type.Literal('patient.archived'),
  Type.Literal('patient.unarchived'),
  Type.Literal('message.reaction'),
  Type.Literal('mention.created'),
  Type.Literal('mention.done'),
]);
export type LiveEventType = Static<typeof LiveEventType>;

export const ReceiptsChange = Type.Object({
  userId: Uuid,
  status: Type.Union([Type.Literal('delivered'), Type.Literal('read')]),
  /** Every message of the thread up to and including this one (not sent by the user) has this status. */
  uptoMessageId: Uuid,
});

export const LiveEvent = Type.Object({
  cursor: StreamCursor,
  type: LiveEventType,
  threadId: Type.Union([Uuid, Type.Null()]),
  /** Who caused it (sender, editor, reader, admin). */
  actorId: Type.Union([Uuid, Type.Null()]),
  at: Timestamp,
  messageId: Type.Optional(Uuid),
  /** message.*: the message as this recipient may see it at delivery time (a patient never gets a retracted text). */
  message: Type.Optional(Message),
  receipts: Type.Optional(ReceiptsChange),
  /** message.reaction: who added or removed which emoji (`message` carries the message's reactions after it). */
  reaction: Type.Optional(Type.Object({ userId: Uuid, emoji: Type.String(), action: Type.Union([Type.Literal('added'), Type.Literal('removed')]) })),
  /** mention.created / mention.done (yours only): the mention, to open or mark done (`mentions.done`). Ids only, never text. */
  mentionId: Type.Optional(Uuid),
  /** thread.created: what the inbox needs to place it (the subject is fetched with threads.get). */
  thread: Type.Optional(Type.Object({ kind: ThreadKind, patientId: Type.Union([Uuid, Type.Null()]), topic: Type.Union([Type.String(), Type.Null()]) })),
  /** thread.updated: the workflow after the change, and what changed (assigned, claimed, reassigned, unassigned, closed, reopened, priority, escalated, overdue). */
  workflow: Type.Optional(ThreadWorkflow),
  change: Type.Optional(Type.String()),
  /** availability.changed (staff only): what changed; fetch it with the availability.* operations. */
  availability: Type.Optional(AvailabilityChange),
  /** scheduled_message.changed (staff): which scheduled message, and its state now (fetch it with scheduledMessages.list). */
  scheduledMessage: Type.Optional(Type.Object({ id: Uuid, state: Type.String() })),
  /** chart_note.created / chart_note.removed (staff): which note of which patient (fetch it with chartNotes.list). */
  chartNote: Type.Optional(Type.Object({ id: Uuid, patientId: Uuid })),
  /** followup.due: the follow-up whose patient has not answered (see followUps.list). */
  followUp: Type.Optional(Type.Object({ id: Uuid, patientId: Uuid, action: Type.String() })),
  /** patient.archived / patient.unarchived: which patient (fetch it with patients.get). */
  patient: Type.Optional(Type.Object({ id: Uuid, archived: Type.Boolean() })),
});
export type LiveEvent = Static<typeof LiveEvent>;

export const PresenceStatus = Type.Union([Type.Literal('online'), Type.Literal('away')]);

/** Frames the server sends. */
export const ServerFrame = Type.Union([
  Type.Object({ type: Type.Literal('event'), event: LiveEvent }),
  /** Replay is complete; `cursor` is the stream position the client is at. */
  Type.Object({ type: Type.Literal('ready'), cursor: StreamCursor }),
  Type.Object({ type: Type.Literal('typing'), threadId: Uuid, userId: Uuid, typing: Type.Boolean() }),
  Type.Object({ type: Type.Literal('presence'), userId: Uuid, status: PresenceStatus }),
  /**
   * Providers and staff: every inbox view's count (as `inbox.counts` answers), when the socket is ready and again after
   * changes to their inbox, at most every 2 s. State, not an event: not in the stream, not replayed.
   */
  Type.Object({ type: Type.Literal('inbox.counts'), counts: InboxCounts }),
  Type.Object({ type: Type.Literal('sent'), ref: Type.String(), message: Message, replayed: Type.Boolean() }),
  Type.Object({ type: Type.Literal('ok'), ref: Type.String() }),
  Type.Object({ type: Type.Literal('pong'), ref: Type.Optional(Type.String()) }),
  Type.Object({ type: Type.Literal('error'), ref: Type.Optional(Type.String()), code: Type.String(), status: Type.Integer(), message: Type.String() }),
]);
export type ServerFrame = Static<typeof ServerFrame>;

const Ref = Type.String({ minLength: 1, maxLength: 64 });
/** Frames a client sends. Sending a message over the socket is idempotent by its id, exactly like messages.create. */
export const ClientFrame = Type.Union([
  Type.Object({ type: Type.Literal('send'), ref: Ref, threadId: Uuid, message: MessageCreate }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('typing'),
      threadId: Uuid,
      typing: Type.Optional(Type.Boolean()),
      /** Typing an internal note: shown to providers and staff only, never to the patient. */
      internal: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('receipt'), ref: Type.Optional(Ref), threadId: Uuid, messageId: Uuid, status: Type.Union([Type.Literal('delivered'), Type.Literal('read')]) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('ping'), ref: Type.Optional(Ref) }, { additionalProperties: false }),
]);
export type ClientFrame = Static<typeof ClientFrame>;

export const EventTicket = Type.Object({
  /** Single use, valid for a few seconds: connect with `/api/v1/events?ticket=...`. */
  ticket: Type.String(),
  expiresAt: Timestamp,
});
export type EventTicket = Static<typeof EventTicket>;

/**
 * WebSocket close codes. 1007 (invalid UTF-8) and 1009 (frame too large) are the standard ones; Haven's own:
 */
export const CloseCodes = {
  /** The session ended (sign-out, deactivation, expiry, idle timeout) or the ticket/cookie was not valid. */
  unauthenticated: 4401,
  /** The user's access changed (e.g. removed from a care team): reconnect with the last cursor. */
  accessChanged: 4403,
  /** The Origin of a browser connection is not allowed. */
  originRefused: 4400,
  /** Too many frames, or too many invalid frames. */
  rateLimited: 4429,
  /** The client does not read fast enough: reconnect with the last cursor. */
  tooSlow: 4408,
  /** The server is shutting down: reconnect (to another node) with the last cursor. */
  goingAway: 1001,
} as const;
