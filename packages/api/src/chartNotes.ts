import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';

/**
 * "Clinically relevant": providers and staff mark a message of a patient thread, or an exact excerpt of its current
 * text, as part of the patient's chart. The chart note is an entry of the patient's timeline with its provenance:
 * who marked it, when, and which message (and which version of its text) it came from.
 */
export const ChartNoteCreate = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Client-generated id; retrying the same request never duplicates' }),
    excerpt: Type.Optional(Type.String({ minLength: 1, maxLength: 20000, description: "An exact substring of the message's current text; omitted: the whole message" })),
    comment: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Why it matters (the patient can read it too)' })),
  },
  { additionalProperties: false },
);
export type ChartNoteCreate = Static<typeof ChartNoteCreate>;

export const ChartNote = Type.Object({
  id: Uuid,
  patientId: Uuid,
  threadId: Uuid,
  messageId: Uuid,
  /** The version of the message's text the excerpt was taken from. */
  messageVersion: Type.Integer(),
  /** The copy taken when it was marked; null for a patient when the source message was retracted since. */
  excerpt: Type.Union([Type.String(), Type.Null()]),
  wholeMessage: Type.Boolean(),
  comment: Type.Union([Type.String(), Type.Null()]),
  createdBy: Uuid,
  createdAt: Timestamp,
  removedAt: Type.Union([Timestamp, Type.Null()]),
  removedBy: Type.Union([Uuid, Type.Null()]),
  /** Staff only: the source message has been retracted since. */
  sourceRetracted: Type.Optional(Type.Boolean()),
});
export type ChartNote = Static<typeof ChartNote>;

export const ChartNoteListQuery = Type.Object(
  {
    /** Staff only: also the notes that were un-marked. */
    includeRemoved: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ChartNoteParams = Type.Object({ patientId: Uuid, chartNoteId: Uuid });
