import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';
import { Topic } from './organization.js';
import { MessageBody } from './messaging.js';

/**
 * Patient cohorts (tags), the soft launch of messaging, and broadcasts.
 *
 * Tags are staff-only labels on patients ("diabetes-program", "spanish"); they may reveal a condition, so the server
 * stores them encrypted and matches them through a keyed blind index. They are lower-cased: letters and digits,
 * joined by single `-` or `_`.
 */
export const TagName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9]+([-_][A-Za-z0-9]+)*$',
  description: 'Letters and digits joined by - or _ (stored lower-cased)',
});

export const PatientTags = Type.Object({
  patientId: Uuid,
  /** Sorted, lower-cased. */
  tags: Type.Array(Type.String()),
});
export type PatientTags = Static<typeof PatientTags>;

/** The patient's whole tag set (replaces the previous one). */
export const PatientTagsUpdate = Type.Object({ tags: Type.Array(TagName, { maxItems: 50 }) }, { additionalProperties: false });

export const TagSummary = Type.Object({
  tag: Type.String(),
  /** Patients with this tag among those the caller may see. */
  patients: Type.Integer({ minimum: 0 }),
});
export const TagList = Type.Object({ items: Type.Array(TagSummary) });
export type TagSummary = Static<typeof TagSummary>;

// ---------------------------------------------------------------------------------------------------------------
// Soft launch
// ---------------------------------------------------------------------------------------------------------------

export const RolloutMode = Type.Union([Type.Literal('everyone'), Type.Literal('pilot')]);
const AlternativeContact = Type.String({
  maxLength: 500,
  pattern: '^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f<>]*$',
  description: 'What a patient without messaging is told, e.g. "Call us at 555-0100 or use the portal". Not clinical.',
});

/**
 * Who may message. `everyone`: every patient. `pilot`: a patient who has one of `cohortTags`, or one of whose care
 * teams includes one of `providerIds`. Patients without it cannot start threads (staff may still reach out to them).
 */
export const MessagingRollout = Type.Object({
  mode: RolloutMode,
  cohortTags: Type.Array(Type.String()),
  providerIds: Type.Array(Uuid),
  alternativeContact: Type.String(),
  updatedAt: Type.Union([Timestamp, Type.Null()]),
  updatedBy: Type.Union([Uuid, Type.Null()]),
});
export type MessagingRollout = Static<typeof MessagingRollout>;

/** Fields left out keep their value. */
export const MessagingRolloutUpdate = Type.Object(
  {
    mode: Type.Optional(RolloutMode),
    cohortTags: Type.Optional(Type.Array(TagName, { maxItems: 50 })),
    providerIds: Type.Optional(Type.Array(Uuid, { maxItems: 200 })),
    alternativeContact: Type.Optional(AlternativeContact),
  },
  { additionalProperties: false },
);
export type MessagingRolloutUpdate = Static<typeof MessagingRolloutUpdate>;

export const MessagingAccessReason = Type.Union([
  Type.Literal('everyone'),
  Type.Literal('pilot_cohort'),
  Type.Literal('pilot_provider'),
  Type.Literal('not_in_pilot'),
  Type.Literal('archived'),
]);

/** GET /me/messaging: whether the signed-in patient may message, before the app shows the composer. */
export const MessagingStatus = Type.Object({
  enabled: Type.Boolean(),
  reason: MessagingAccessReason,
  /** How else to reach the practice (the organization's text); null when none is set and messaging is enabled. */
  alternativeContact: Type.Union([Type.String(), Type.Null()]),
  archived: Type.Boolean(),
});
export type MessagingStatus = Static<typeof MessagingStatus>;

// ---------------------------------------------------------------------------------------------------------------
// Broadcasts
// ---------------------------------------------------------------------------------------------------------------

/** Which patients: those matching every given field (every tag, the care team, a care team of the provider). */
export const BroadcastSelector = Type.Object(
  {
    tags: Type.Optional(Type.Array(TagName, { minItems: 1, maxItems: 10 })),
    careTeamId: Type.Optional(Uuid),
    providerId: Type.Optional(Uuid),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type BroadcastSelector = Static<typeof BroadcastSelector>;

/**
 * A broadcast to write. `subject` and `body` may use `{patient.firstName}`, `{patient.name}`, `{practice.name}` and
 * `{practice.phone}` (the templates' variables a broadcast can fill for every recipient); any other `{name}` is
 * refused (422 unknown_variable).
 */
export const BroadcastDraft = Type.Object(
  {
    selector: BroadcastSelector,
    subject: Type.String({ minLength: 1, maxLength: 200 }),
    body: MessageBody,
    topic: Type.Optional(Topic),
  },
  { additionalProperties: false },
);
export type BroadcastDraft = Static<typeof BroadcastDraft>;

export const BroadcastSkipped = Type.Object({
  archived: Type.Integer({ minimum: 0 }),
  /** Not enabled by the soft launch (messagingRollout). */
  messagingNotEnabled: Type.Integer({ minimum: 0 }),
  /** Found no longer visible to the author when it was their turn (e.g. moved to another care team). */
  outOfScope: Type.Integer({ minimum: 0 }),
  /** Deactivated meanwhile. */
  inactive: Type.Integer({ minimum: 0 }),
});

export const BroadcastSample = Type.Object({ patientId: Uuid, subject: Type.String(), body: Type.String() });

export const BroadcastPreview = Type.Object({
  /** Patients who would get the message now. */
  recipients: Type.Integer({ minimum: 0 }),
  skipped: BroadcastSkipped,
  /** The message as the first three recipients would get it. */
  samples: Type.Array(BroadcastSample),
});
export type BroadcastPreview = Static<typeof BroadcastPreview>;

export const BroadcastState = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('cancelled')]);

export const Broadcast = Type.Object({
  id: Uuid,
  subject: Type.String(),
  body: Type.String(),
  topic: Topic,
  selector: BroadcastSelector,
  state: BroadcastState,
  progress: Type.Object({
    /** Every patient selected, skipped ones included. */
    total: Type.Integer({ minimum: 0 }),
    sent: Type.Integer({ minimum: 0 }),
    skipped: Type.Integer({ minimum: 0 }),
    failed: Type.Integer({ minimum: 0 }),
    /** Not sent because the broadcast was cancelled first. */
    cancelled: Type.Integer({ minimum: 0 }),
    pending: Type.Integer({ minimum: 0 }),
  }),
  skipped: BroadcastSkipped,
  createdBy: Uuid,
  createdAt: Timestamp,
  startedAt: Type.Union([Timestamp, Type.Null()]),
  completedAt: Type.Union([Timestamp, Type.Null()]),
  cancelledAt: Type.Union([Timestamp, Type.Null()]),
});
export type Broadcast = Static<typeof Broadcast>;

export const BroadcastListQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
