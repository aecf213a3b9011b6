import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';
import { Topic } from './organization.js';

/**
 * The care workflow of patient threads: who owns a thread, who is expected to answer, how urgent it is and by when.
 * States: `unassigned` (a patient waits, nobody owns it), `assigned` (owned; the owner has not answered since),
 * `awaiting_staff` (owned; the patient wrote after the last staff answer), `awaiting_patient` (staff answered last),
 * `closed` (done; a new patient message reopens it).
 */
export const ThreadState = Type.Union([
  Type.Literal('unassigned'),
  Type.Literal('assigned'),
  Type.Literal('awaiting_staff'),
  Type.Literal('awaiting_patient'),
  Type.Literal('closed'),
]);
export type ThreadState = Static<typeof ThreadState>;

export const Priority = Type.Union([Type.Literal('routine'), Type.Literal('urgent')]);
export type Priority = Static<typeof Priority>;

export const PersonRef = Type.Object({ id: Uuid, name: Type.String() });
export type PersonRef = Static<typeof PersonRef>;

/** Staff only: the workflow of a patient thread. */
export const ThreadWorkflow = Type.Object({
  state: ThreadState,
  priority: Priority,
  assigneeId: Type.Union([Uuid, Type.Null()]),
  queueId: Type.Union([Uuid, Type.Null()]),
  departmentId: Type.Union([Uuid, Type.Null()]),
  /** When the waiting patient should have an answer (SLA, in business hours); null when nobody waits. */
  dueAt: Type.Union([Timestamp, Type.Null()]),
  overdue: Type.Boolean(),
  waitingSince: Type.Union([Timestamp, Type.Null()]),
});
export type ThreadWorkflow = Static<typeof ThreadWorkflow>;

/** What everyone on the thread (the patient too) sees: who answers, and whom they cover for while that person is away. */
export const CareContact = Type.Object({
  assignee: Type.Union([PersonRef, Type.Null()]),
  coveringFor: Type.Union([PersonRef, Type.Null()]),
});
export type CareContact = Static<typeof CareContact>;

export const InboxView = Type.Union([
  Type.Literal('mine'),
  Type.Literal('unassigned'),
  Type.Literal('care_teams'),
  Type.Literal('department'),
  Type.Literal('urgent'),
  Type.Literal('overdue'),
  Type.Literal('awaiting_patient'),
  Type.Literal('closed'),
]);
export type InboxView = Static<typeof InboxView>;

export const InboxQuery = Type.Object(
  {
    view: InboxView,
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const InboxCounts = Type.Object({
  mine: Type.Integer(),
  unassigned: Type.Integer(),
  care_teams: Type.Integer(),
  department: Type.Integer(),
  urgent: Type.Integer(),
  overdue: Type.Integer(),
  awaiting_patient: Type.Integer(),
  closed: Type.Integer(),
});
export type InboxCounts = Static<typeof InboxCounts>;

const Reason = Type.String({ minLength: 1, maxLength: 500 });

export const ThreadAssign = Type.Object(
  {
    /** The staff member who takes the thread; null puts it back in its queue. */
    assigneeId: Type.Union([Uuid, Type.Null()]),
    /** Required when the thread is someone else's (a reassignment). */
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false },
);
export const ThreadClaim = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export const ThreadClose = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export const ThreadPriorityChange = Type.Object({ priority: Priority, reason: Type.Optional(Reason) }, { additionalProperties: false });
export const ThreadEscalate = Type.Object(
  {
    /** The provider who takes over. */
    providerId: Uuid,
    /** The context for the provider, kept as an internal note in the thread (never shown to the patient). */
    note: Type.String({ minLength: 1, maxLength: 5000 }),
    /** Client-generated id of the note (idempotent retries). */
    noteId: Uuid,
    urgent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

// ---- queues, routing, SLA (admins) ------------------------------------------------------------------------------

export const AssignmentMode = Type.Union([Type.Literal('off'), Type.Literal('round_robin'), Type.Literal('least_loaded')]);

export const QueueCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 120 }),
    departmentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    assignment: Type.Optional(AssignmentMode),
    memberIds: Type.Optional(Type.Array(Uuid, { maxItems: 500 })),
    /** Who takes overdue threads; unset: the department's on-call. */
    escalateToId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  },
  { additionalProperties: false },
);
export const QueueUpdate = Type.Partial(QueueCreate, { additionalProperties: false });
export const Queue = Type.Object({
  id: Uuid,
  name: Type.String(),
  departmentId: Type.Union([Uuid, Type.Null()]),
  assignment: AssignmentMode,
  memberIds: Type.Array(Uuid),
  escalateToId: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
});
export type Queue = Static<typeof Queue>;

export const RoutingRule = Type.Object(
  {
    topic: Type.Optional(Type.Union([Topic, Type.Null()])),
    departmentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    careTeamId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    queueId: Uuid,
  },
  { additionalProperties: false },
);
export const RoutingRules = Type.Object(
  { rules: Type.Array(RoutingRule, { maxItems: 200, description: 'In order: the first rule whose given fields all match decides the queue' }) },
  { additionalProperties: false },
);

export const SlaTarget = Type.Object(
  {
    /** A topic, or '*' for every topic without its own target. */
    topic: Type.Union([Topic, Type.Literal('*')]),
    priority: Priority,
    /** Business minutes to the first answer. */
    responseMinutes: Type.Integer({ minimum: 1, maximum: 60 * 24 * 30 }),
    /** The assignee is reminded this many business minutes before the due time (0: no reminder). */
    remindBeforeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 * 24 * 30 })),
  },
  { additionalProperties: false },
);
export const SlaTargets = Type.Object({ targets: Type.Array(SlaTarget, { maxItems: 200 }) }, { additionalProperties: false });

// ---- what patients are told -------------------------------------------------------------------------------------

export const CrisisResource = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 120 }), contact: Type.String({ minLength: 1, maxLength: 120 }) },
  { additionalProperties: false },
);

export const WorkflowSettings = Type.Object({
  offHoursReplyEnabled: Type.Boolean(),
  /** Variables: {nextOpening} (when the practice opens next), {emergency} (the emergency number). */
  offHoursReply: Type.String(),
  /** Sent at once when a patient message matches the crisis lexicon. Variables: {resources}, {emergency}. */
  crisisReply: Type.String(),
  crisisResources: Type.Array(CrisisResource),
  emergencyNumber: Type.String(),
  /** Shown in the patient's composer. */
  urgentGuidance: Type.String(),
});
export type WorkflowSettings = Static<typeof WorkflowSettings>;
export const WorkflowSettingsUpdate = Type.Object(
  {
    offHoursReplyEnabled: Type.Optional(Type.Boolean()),
    offHoursReply: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    crisisReply: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    crisisResources: Type.Optional(Type.Array(CrisisResource, { maxItems: 10 })),
    emergencyNumber: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
    urgentGuidance: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ExpectationsQuery = Type.Object(
  { topic: Type.Optional(Topic), threadId: Type.Optional(Uuid) },
  { additionalProperties: false },
);
/** For the composer: when to expect an answer and what to do when it cannot wait. */
export const Expectations = Type.Object({
  open: Type.Boolean(),
  nextOpening: Type.Union([Timestamp, Type.Null()]),
  responseMinutes: Type.Integer({ description: 'Business minutes to an answer for this topic (routine)' }),
  expectedBy: Timestamp,
  urgentGuidance: Type.String(),
  emergencyNumber: Type.String(),
  crisisResources: Type.Array(CrisisResource),
});

export const DirectMessagePreference = Type.Object({ acceptsDirectMessages: Type.Boolean() }, { additionalProperties: false });
