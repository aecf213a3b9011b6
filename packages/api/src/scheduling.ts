import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';
import { MessageBody } from './messaging.js';

/**
 * Scheduled send and follow-up reminders (providers and staff only).
 *
 * A scheduled message is written now and sent later by Haven, as its author, through the ordinary send path: at
 * `sendAt` the author's access to the thread is checked again, and the message appears in the thread with the id
 * given here (so it is sent at most once). Until then only staff who may write in the thread see it; the patient
 * never does (not in lists, events or search).
 */
export const ScheduledMessageState = Type.Union([
  Type.Literal('scheduled'),
  Type.Literal('sending'),
  Type.Literal('sent'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
]);
export type ScheduledMessageState = Static<typeof ScheduledMessageState>;

/** Why a scheduled message was not sent. */
export const ScheduledFailureReason = Type.Union([
  Type.Literal('author_inactive'),
  Type.Literal('access_revoked'),
  Type.Literal('id_conflict'),
  /** The patient was archived, or messaging is not enabled for them (soft launch). */
  Type.Literal('messaging_closed'),
  Type.Literal('send_error'),
]);

export const ScheduledMessageCreate = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Client-generated id; the sent message gets this id. Retrying the same request never duplicates' }),
    body: MessageBody,
    sendAt: Type.String({ format: 'date-time', description: 'At least 1 second and at most 1 year from now' }),
  },
  { additionalProperties: false },
);
export type ScheduledMessageCreate = Static<typeof ScheduledMessageCreate>;

export const ScheduledMessageUpdate = Type.Object(
  {
    body: Type.Optional(MessageBody),
    sendAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type ScheduledMessageUpdate = Static<typeof ScheduledMessageUpdate>;

export const ScheduledMessage = Type.Object({
  id: Uuid,
  threadId: Uuid,
  /** The patient of a patient thread, null for internal threads. */
  patientId: Type.Union([Uuid, Type.Null()]),
  authorId: Uuid,
  /** The text; null in the organization overview (scheduledMessages.overview), which carries no content. */
  body: Type.Union([Type.String(), Type.Null()]),
  sendAt: Timestamp,
  state: ScheduledMessageState,
  failureReason: Type.Union([ScheduledFailureReason, Type.Null()]),
  /** Counts edits (1 = as created). */
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  sentAt: Type.Union([Timestamp, Type.Null()]),
  cancelledAt: Type.Union([Timestamp, Type.Null()]),
  cancelledBy: Type.Union([Uuid, Type.Null()]),
});
export type ScheduledMessage = Static<typeof ScheduledMessage>;

export const ScheduledMessageParams = Type.Object({ scheduledMessageId: Uuid });

export const ScheduledMessageListQuery = Type.Object(
  {
    state: Type.Optional(ScheduledMessageState),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ScheduledMessageOverviewQuery = Type.Object(
  {
    /** Admins: any author of the organization. Providers and staff: only themselves. */
    authorId: Type.Optional(Uuid),
    state: Type.Optional(ScheduledMessageState),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

/**
 * Follow-up reminders: on a patient thread, "if the patient has not answered in N days, then remind me (a live event
 * and a content-free notification to the one who set it) or nudge the patient (a content-free notification)".
 */
export const FollowUpAction = Type.Union([Type.Literal('remind_me'), Type.Literal('nudge_patient')]);
export type FollowUpAction = Static<typeof FollowUpAction>;
export const FollowUpState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('satisfied'),
  Type.Literal('fired'),
  Type.Literal('cancelled'),
  Type.Literal('failed'),
]);
export type FollowUpState = Static<typeof FollowUpState>;

export const FollowUpCreate = Type.Object(
  {
    afterDays: Type.Integer({ minimum: 1, maximum: 90, description: 'Days without an answer from the patient' }),
    action: FollowUpAction,
  },
  { additionalProperties: false },
);
export type FollowUpCreate = Static<typeof FollowUpCreate>;

export const FollowUp = Type.Object({
  id: Uuid,
  threadId: Uuid,
  patientId: Uuid,
  createdBy: Uuid,
  action: FollowUpAction,
  afterDays: Type.Integer(),
  dueAt: Timestamp,
  state: FollowUpState,
  /** failed: creator_inactive, access_revoked, patient_inactive, messaging_closed (nudges: the patient could not answer). */
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  settledAt: Type.Union([Timestamp, Type.Null()]),
});
export type FollowUp = Static<typeof FollowUp>;

export const FollowUpParams = Type.Object({ followUpId: Uuid });

export const FollowUpListQuery = Type.Object(
  {
    state: Type.Optional(FollowUpState),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
