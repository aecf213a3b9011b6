import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';

export const Topic = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9_]+$' });

export const Organization = Type.Object({
  id: Uuid,
  slug: Type.String(),
  name: Type.String(),
  staffSeeAllPatients: Type.Boolean({ description: 'Small practices: every provider and staff member sees every patient' }),
  topics: Type.Array(Topic),
  notificationSenderName: Type.Union([Type.String(), Type.Null()], {
    description: 'Practice name that notifications use ("a new secure message from …"); null: the organization name. It must not reveal a condition',
  }),
  practicePhone: Type.Union([Type.String(), Type.Null()], { description: "The practice's phone number, for templates ({practice.phone}); null: not set" }),
});
export type Organization = Static<typeof Organization>;

/** A phone number as people write it: digits, spaces, +, parentheses, dots, dashes, and an optional extension. */
export const PracticePhone = Type.String({ minLength: 3, maxLength: 40, pattern: '^\\+?[0-9(][0-9 ().-]*[0-9)]( ?(ext\\.?|x) ?[0-9]{1,6})?$', description: 'e.g. +1 (555) 010-0100 ext. 12' });

export const OrganizationUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    staffSeeAllPatients: Type.Optional(Type.Boolean()),
    topics: Type.Optional(Type.Array(Topic, { minItems: 1, maxItems: 50 })),
    notificationSenderName: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 60, pattern: '^[^\\u0000-\\u001f\\u007f<>]+$' }), Type.Null()])),
    practicePhone: Type.Optional(Type.Union([PracticePhone, Type.Null()])),
  },
  { additionalProperties: false },
);

export const DepartmentCreate = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export const Department = Type.Object({ id: Uuid, name: Type.String(), createdAt: Timestamp });
export type Department = Static<typeof Department>;

export const CareTeamCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    departmentId: Type.Optional(Uuid),
    memberIds: Type.Optional(Type.Array(Uuid, { maxItems: 500 })),
  },
  { additionalProperties: false },
);
export const CareTeam = Type.Object({
  id: Uuid,
  name: Type.String(),
  departmentId: Type.Union([Uuid, Type.Null()]),
  memberIds: Type.Array(Uuid),
  createdAt: Timestamp,
});
export type CareTeam = Static<typeof CareTeam>;
export const CareTeamMemberAdd = Type.Object({ userId: Uuid }, { additionalProperties: false });
