import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';
import { Topic } from './organization.js';

/**
 * Message templates and quick replies: practice wording that staff insert into the composer, with variables such as
 * `{patient.firstName}` filled in for a thread by `templates.render`. Templates belong to the organization (admins
 * manage them, every provider and staff member uses them) or to one provider or staff member (personal: only they see
 * and manage them). Bodies are practice content, stored in plaintext: they must not hold patient information (the
 * variables bring it in at render time). Patients never see templates.
 */
export const TemplateScope = Type.Union([Type.Literal('organization'), Type.Literal('personal')], {
  description: 'organization: managed by admins, used by every provider and staff member; personal: its owner only',
});
export type TemplateScope = Static<typeof TemplateScope>;

export const TemplateKind = Type.Union([Type.Literal('template'), Type.Literal('quick_reply')], {
  description: 'quick_reply: a short answer inserted with one tap; template: longer wording',
});
export type TemplateKind = Static<typeof TemplateKind>;

export const TemplateName = Type.String({ minLength: 1, maxLength: 100 });
export const TemplateBody = Type.String({
  minLength: 1,
  maxLength: 5000,
  description: 'Text with variables in braces, e.g. "Hi {patient.firstName}"; see templates.variables. At most 50 variables',
});

export const TemplateCreate = Type.Object(
  {
    scope: TemplateScope,
    kind: Type.Optional(TemplateKind),
    name: TemplateName,
    body: TemplateBody,
    topic: Type.Optional(Topic),
  },
  { additionalProperties: false },
);
export type TemplateCreate = Static<typeof TemplateCreate>;

export const TemplateUpdate = Type.Object(
  {
    name: Type.Optional(TemplateName),
    body: Type.Optional(TemplateBody),
    kind: Type.Optional(TemplateKind),
    topic: Type.Optional(Type.Union([Topic, Type.Null()], { description: 'null: offered whatever the thread topic' })),
    archived: Type.Optional(Type.Boolean({ description: 'true takes the template out of use; false brings it back' })),
  },
  { additionalProperties: false },
);
export type TemplateUpdate = Static<typeof TemplateUpdate>;

export const Template = Type.Object({
  id: Uuid,
  scope: TemplateScope,
  ownerId: Type.Union([Uuid, Type.Null()], { description: 'The owner of a personal template; null for organization templates' }),
  kind: TemplateKind,
  name: Type.String(),
  body: Type.String(),
  topic: Type.Union([Topic, Type.Null()], { description: 'Offered for threads of this topic (null: any topic)' }),
  variables: Type.Array(Type.String(), { description: 'The variables the body uses, in order of first use' }),
  archived: Type.Boolean(),
  isDefault: Type.Boolean({ description: "One of Haven's default quick replies, added to the organization on its first list" }),
  createdBy: Type.Union([Uuid, Type.Null()], { description: "null for Haven's defaults" }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Template = Static<typeof Template>;

export const TemplateListQuery = Type.Object(
  {
    kind: Type.Optional(TemplateKind),
    scope: Type.Optional(TemplateScope),
    topic: Type.Optional(Topic),
    archived: Type.Optional(Type.Boolean({ description: 'true: only archived templates (default: only templates in use)' })),
  },
  { additionalProperties: false },
);

export const TemplateList = Type.Object({ items: Type.Array(Template) });

export const TemplateParams = Type.Object({ templateId: Uuid });

export const TemplateRenderRequest = Type.Object(
  {
    threadId: Uuid,
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of {today} (default UTC)' })),
  },
  { additionalProperties: false },
);

export const TemplateRender = Type.Object({
  templateId: Uuid,
  threadId: Uuid,
  text: Type.String({ description: 'The filled text for the composer; a variable without a value stays as written, e.g. {practice.phone}' }),
  missing: Type.Array(Type.String(), { description: 'Variables that had no value for this thread (left in the text)' }),
});
export type TemplateRender = Static<typeof TemplateRender>;

export const TemplateVariable = Type.Object({
  name: Type.String({ description: 'Written in a body as {name}' }),
  description: Type.String(),
  example: Type.String(),
});
export const TemplateVariableList = Type.Object({ items: Type.Array(TemplateVariable) });
