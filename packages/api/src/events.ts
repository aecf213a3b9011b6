import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';
import { Message, MessageCreate, ThreadKind } from './messaging.js';

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
  /** thread.created: what the inbox needs to place it (the subject is fetched with threads.get). */
  thread: Type.Optional(Type.Object({ kind: ThreadKind, patientId: Type.Union([Uuid, Type.Null()]), topic: Type.Union([Type.String(), Type.Null()]) })),
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
  Type.Object({ type: Type.Literal('typing'), threadId: Uuid, typing: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
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
