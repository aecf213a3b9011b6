import { Type, type Static } from 'typebox';
import { Email, Role, StaffRole, Timestamp, Uuid } from './common.js';
import { Password } from './auth.js';
import { TagName } from './cohorts.js';

export const UserStatus = Type.Union([Type.Literal('active'), Type.Literal('deactivated')]);

export const StaffCreate = Type.Object(
  {
    role: StaffRole,
    email: Email,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.Optional(Password),
    departmentId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type StaffCreate = Static<typeof StaffCreate>;

export const User = Type.Object({
  id: Uuid,
  role: Role,
  email: Type.String(),
  name: Type.String(),
  status: UserStatus,
  mfaEnabled: Type.Boolean(),
  departmentId: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
  initialPassword: Type.Optional(Type.String({ description: 'Generated password, shown once at creation' })),
});
export type User = Static<typeof User>;

export const UserUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    departmentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    /** A new staff role. Changing it ends the person's sessions (they sign in again with the new role); admins cannot change their own. */
    role: Type.Optional(StaffRole),
  },
  { additionalProperties: false },
);

const IsoDate = Type.String({ format: 'date' });
const Phone = Type.String({ minLength: 3, maxLength: 32, pattern: '^[+0-9 ()-]+$' });

export const PatientCreate = Type.Object(
  {
    email: Email,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    dateOfBirth: Type.Optional(IsoDate),
    phone: Type.Optional(Phone),
    mrn: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    password: Type.Optional(Password),
    careTeamIds: Type.Optional(Type.Array(Uuid, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type PatientCreate = Static<typeof PatientCreate>;

export const PatientUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    dateOfBirth: Type.Optional(Type.Union([IsoDate, Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    mrn: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    careTeamIds: Type.Optional(Type.Array(Uuid, { maxItems: 50 })),
  },
  { additionalProperties: false },
);

export const Patient = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Type.String(),
  dateOfBirth: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  mrn: Type.Union([Type.String(), Type.Null()]),
  status: UserStatus,
  careTeamIds: Type.Array(Uuid),
  createdAt: Timestamp,
  /** When the patient was archived (history kept; no new threads or messages), else null. */
  archivedAt: Type.Union([Timestamp, Type.Null()]),
  initialPassword: Type.Optional(Type.String()),
});
export type Patient = Static<typeof Patient>;

export const PatientQuery = Type.Object(
  {
    mrn: Type.Optional(Type.String({ maxLength: 64 })),
    email: Type.Optional(Email),
    /** Staff only: patients having every one of these tags (cohorts). */
    tag: Type.Optional(Type.Array(TagName, { maxItems: 10 })),
    /** true: archived patients only; default: patients not archived. */
    archived: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
