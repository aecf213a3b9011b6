import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';
import { Topic } from './organization.js';
import { AttachmentSummary } from './attachments.js';

export const ThreadKind = Type.Union([Type.Literal('patient'), Type.Literal('internal')]);

export const ThreadCreate = Type.Object(
  {
    kind: Type.Optional(ThreadKind),
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    topic: Type.Optional(Topic),
    patientId: Type.Optional(Uuid),
    participantIds: Type.Optional(Type.Array(Uuid, { maxItems: 100 })),
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
  lastMessageAt: Type.Union([Timestamp, Type.Null()]),
  unreadCount: Type.Integer(),
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

export const Message = Type.Object({
  id: Uuid,
  threadId: Uuid,
  senderId: Uuid,
  senderRole: Type.String(),
  body: Type.Union([Type.String(), Type.Null()], { description: 'null when retracted (staff see retractedBody)' }),
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
});
export const SearchResult = Type.Object({ items: Type.Array(SearchHit) });
