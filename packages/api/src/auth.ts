import { Type, type Static } from 'typebox';
import { Email, Language, Role, Timestamp, Uuid } from './common.js';

export const Password = Type.String({ minLength: 1, maxLength: 256 });

export const SessionStage = Type.Union([
  Type.Literal('active'),
  Type.Literal('mfa_required'),
  Type.Literal('mfa_enrollment_required'),
]);
export type SessionStage = Static<typeof SessionStage>;

export const LoginRequest = Type.Object(
  {
    organization: Type.String({ minLength: 1, maxLength: 63, description: 'Organization slug' }),
    email: Email,
    password: Password,
    transport: Type.Optional(
      Type.Union([Type.Literal('cookie'), Type.Literal('bearer')], {
        description: 'cookie: HttpOnly session cookie for browsers (default); bearer: token in the response for SDK clients',
      }),
    ),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const SessionUser = Type.Object({
  id: Uuid,
  organizationId: Uuid,
  role: Role,
  name: Type.String(),
  mfaEnabled: Type.Boolean(),
  /** The language the person reads Haven in (me.language.update); for patients also their automatic replies. */
  language: Language,
});

export const SessionInfo = Type.Object({
  stage: SessionStage,
  user: SessionUser,
  expiresAt: Timestamp,
  idleTimeoutSeconds: Type.Integer(),
  token: Type.Optional(Type.String({ description: 'Bearer token; only returned once, at login, for transport=bearer' })),
  csrfToken: Type.Optional(Type.String({ description: 'Send as X-CSRF-Token on unsafe requests made with the session cookie' })),
});
export type SessionInfo = Static<typeof SessionInfo>;

/** me.language.update: the language the signed-in person reads Haven in. */
export const LanguageChoice = Type.Object({ language: Language }, { additionalProperties: false });
export type LanguageChoice = Static<typeof LanguageChoice>;

export const TotpCode = Type.Object(
  { code: Type.String({ pattern: '^[0-9]{6}$' }) },
  { additionalProperties: false },
);
export const TotpSetup = Type.Object({ secret: Type.String(), otpauthUri: Type.String() });

export const PasswordChange = Type.Object(
  { currentPassword: Password, newPassword: Password },
  { additionalProperties: false },
);
