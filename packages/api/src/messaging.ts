import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';
import { Topic } from './organization.js';
import { CareContact, ThreadWorkflow } from './workflow.js';
import { AttachmentSummary } from './attachments.js';

export const ThreadKind = Type.Union([Type.Literal('patient'), Type.Literal('internal')]);

export const ThreadCreate = Type.Object(
  {
    kind: Type.Optional(ThreadKind),
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    topic: Type.Optional(Topic),
    patientId: Type.Optional(Uuid),
    participantIds: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
    /** Patient threads: address this provider directly (when they accept direct messages; else the thread goes through staff). */
    providerId: Type.Optional(Uuid),
    /** Address whoever is on call now for the patient's department (a role, not a person). */
    toOnCall: Type.Optional(Type.Boolean()),
    linkedThreadId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Internal threads only: makes the thread a consult about this patient thread (one the creator may see). The link gives no one access to the patient thread.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ThreadCreate = Static<typeof ThreadCreate>;

export const Thread = Type.Object({
  id: Uuid,
  kind: ThreadKind,
  subject: Type.String(),
  topic: Type.Union([Topic, Type.Null()]),
  patientId: Type.Union([Uuid, Type.Null()]),
  participantIds: Type.Array(Uuid),
  createdBy: Uuid,
  createdAt: Timestamp,
  lastMessageAt: Type.Union([Timestamp, Type.Null()], { description: 'The latest message the caller may see (a patient: internal notes do not count)' }),
  unreadCount: Type.Integer(),
  /** Patient threads, staff viewers: state, priority, assignee, due time. */
  workflow: Type.Optional(ThreadWorkflow),
  /** Patient threads: who answers, and for whom they cover (the patient sees it too). */
  careContact: Type.Optional(CareContact),
  linkedThreadId: Type.Union([Uuid, Type.Null()], { description: 'A consult (internal thread): the patient thread it is about; null otherwise' }),
});
export type Thread = Static<typeof Thread>;

export const ThreadListQuery = Type.Object(
  {
    patientId: Type.Optional(Uuid),
    kind: Type.Optional(ThreadKind),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const MessageBody = Type.String({ minLength: 1, maxLength: 20000 });

export const MessageCreate = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Client-generated id; resending the same id never duplicates' }),
    body: MessageBody,
    internal: Type.Optional(
      Type.Boolean({ description: 'An internal note: in a patient thread, seen by providers and staff only, never by the patient (providers and staff only)' }),
    ),
    mentions: Type.Optional(
      Type.Array(Uuid, {
        maxItems: 20,
        description: 'Internal notes and internal-thread messages only: providers and staff who may see the thread, told by a live event and a notification',
      }),
    ),
  },
  { additionalProperties: false },
);
export type MessageCreate = Static<typeof MessageCreate>;

export const Receipt = Type.Object({
  userId: Uuid,
  deliveredAt: Type.Union([Timestamp, Type.Null()]),
  readAt: Type.Union([Timestamp, Type.Null()]),
});

/** A link shared from the resource library: apps show it as text (title and URL) and never fetch it on their own. */
export const MessageLink = Type.Object({
  url: Type.String({ description: 'An http or https URL, normalized' }),
  title: Type.String(),
});
export type MessageLink = Static<typeof MessageLink>;

// ---- reactions (templates branch) ------------------------------------------------------------------------------
/**
 * One emoji grapheme: a single emoji, with its skin tone, keycap or flag, or one ZWJ sequence (👍, 👍🏽, ❤️, 🇫🇷,
 * 👩‍👩‍👧). Anything else (text, two emoji, a bare skin tone) is 422 invalid_emoji. A text-style emoji without its
 * variation selector ("❤") is stored in emoji style ("❤️").
 */
export const ReactionEmoji = Type.String({ maxLength: 64, description: 'A single emoji (one grapheme), URL-encoded in the path' });

/** The reactions of a message, one entry per emoji, in the order the emoji was first used. */
export const ReactionSummary = Type.Object({
  emoji: Type.String(),
  count: Type.Integer(),
  userIds: Type.Array(Uuid, { description: 'Who reacted with this emoji, first first' }),
});
export type ReactionSummary = Static<typeof ReactionSummary>;

export const ReactionParams = Type.Object({ threadId: Uuid, messageId: Uuid, emoji: ReactionEmoji });

export const ReactionResult = Type.Object({
  messageId: Uuid,
  /** Whether this call changed anything (adding a reaction you already have, or removing one you do not, does not). */
  changed: Type.Boolean(),
  reactions: Type.Array(ReactionSummary),
});
export type ReactionResult = Static<typeof ReactionResult>;
// ---- end reactions ----------------------------------------------------------------------------------------------

export const Message = Type.Object({
  id: Uuid,
  threadId: Uuid,
  senderId: Uuid,
  senderRole: Type.String(),
  body: Type.Union([Type.String(), Type.Null()], { description: 'The text; a retracted message reaches a patient without it (null, or not at all), while providers and staff still read it here with retracted: true' }),
  createdAt: Timestamp,
  edited: Type.Boolean(),
  editedAt: Type.Union([Timestamp, Type.Null()]),
  version: Type.Integer(),
  retracted: Type.Boolean(),
  retractedAt: Type.Union([Timestamp, Type.Null()]),
  contentHash: Type.String({ description: 'Keyed hash of the current text (hex)' }),
  receipts: Type.Array(Receipt),
  attachments: Type.Array(AttachmentSummary, { description: 'Files of this message (uploaded for its id by its sender), oldest first' }),
  link: Type.Union([MessageLink, Type.Null()], { description: 'A link shared from the resource library, or null' }),
  reactions: Type.Array(ReactionSummary, { description: 'Emoji reactions, one entry per emoji' }),
  internal: Type.Boolean({ description: 'Staff only: an internal note, or a message of an internal thread. Patients never receive one.' }),
  mentions: Type.Array(Uuid, { description: 'Users mentioned in the message (internal messages only)' }),
});
export type Message = Static<typeof Message>;

export const MessageListQuery = Type.Object(
  {
    limit: Type.Optional(Limit),
    before: Type.Optional(Cursor),
    after: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const MessagePage = Type.Object({
  items: Type.Array(Message),
  nextCursor: Type.Union([Cursor, Type.Null()], {
    description: 'Pass as `before` (newest-first pages) or `after` (forward pages) to continue',
  }),
});

export const MessageEdit = Type.Object({ body: MessageBody }, { additionalProperties: false });
export const MessageRetract = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const MessageVersion = Type.Object({
  version: Type.Integer(),
  body: Type.String(),
  editedBy: Uuid,
  createdAt: Timestamp,
  contentHash: Type.String(),
});

export const ReceiptUpdate = Type.Object(
  {
    messageId: Uuid,
    status: Type.Union([Type.Literal('delivered'), Type.Literal('read')]),
  },
  { additionalProperties: false },
);
export const ReceiptResult = Type.Object({ updated: Type.Integer() });

export const SearchRequest = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 200 }),
    threadId: Type.Optional(Uuid),
    patientId: Type.Optional(Uuid),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);
export const SearchHit = Type.Object({
  messageId: Uuid,
  threadId: Uuid,
  patientId: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
  snippet: Type.String(),
  internal: Type.Boolean({ description: 'An internal note or internal-thread message (staff search only; patients never match one)' }),
});
export const SearchResult = Type.Object({ items: Type.Array(SearchHit) });

// ---- mentions (internal notes and internal threads) ----------------------------------------------------------

export const MentionStatus = Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('all')]);

export const Mention = Type.Object({
  id: Uuid,
  threadId: Uuid,
  messageId: Uuid,
  /** Who mentioned you. */
  mentionedBy: Uuid,
  createdAt: Timestamp,
  doneAt: Type.Union([Timestamp, Type.Null()]),
});
export type Mention = Static<typeof Mention>;

export const MentionListQuery = Type.Object(
  {
    status: Type.Optional(MentionStatus),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
