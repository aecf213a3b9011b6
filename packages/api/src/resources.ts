import { Type, type Static } from 'typebox';
import { Cursor, Limit, Timestamp, Uuid } from './common.js';
import { MessageBody } from './messaging.js';

/**
 * The resource library: an organization's shareable practice materials (leaflets, exercise sheets, videos, links).
 * Not patient data: titles, descriptions, tags and links are stored in plaintext so the library can be searched.
 * A file resource's bytes are checked, cleaned and encrypted like attachments. Staff share a resource into a thread
 * in one call; the message then carries a copy of the file, or the link.
 */
export const ResourceKind = Type.Union([Type.Literal('file'), Type.Literal('link')]);
export type ResourceKind = Static<typeof ResourceKind>;

export const ResourceTitle = Type.String({ minLength: 1, maxLength: 200 });
export const ResourceDescription = Type.String({ maxLength: 2000 });
export const ResourceTag = Type.String({ minLength: 1, maxLength: 40, description: 'Stored lower-cased, spaces collapsed' });
export const ResourceTags = Type.Array(ResourceTag, { maxItems: 20 });
export const ResourceUrl = Type.String({ minLength: 1, maxLength: 2048, description: 'http or https only; stored normalized' });

export const ResourceCreate = Type.Object(
  {
    kind: ResourceKind,
    title: ResourceTitle,
    description: Type.Optional(ResourceDescription),
    tags: Type.Optional(ResourceTags),
    url: Type.Optional(ResourceUrl),
  },
  { additionalProperties: false },
);
export type ResourceCreate = Static<typeof ResourceCreate>;

export const ResourceUpdate = Type.Object(
  {
    title: Type.Optional(ResourceTitle),
    description: Type.Optional(ResourceDescription),
    tags: Type.Optional(ResourceTags),
    url: Type.Optional(ResourceUrl),
  },
  { additionalProperties: false },
);
export type ResourceUpdate = Static<typeof ResourceUpdate>;

export const ResourceFile = Type.Object({
  fileName: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  hasPreview: Type.Boolean(),
});

export const Resource = Type.Object({
  id: Uuid,
  kind: ResourceKind,
  title: Type.String(),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  url: Type.Union([Type.String(), Type.Null()], { description: 'The link (kind link), else null' }),
  file: Type.Union([ResourceFile, Type.Null()], { description: 'The stored file (kind file) once uploaded, else null' }),
  createdBy: Uuid,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Resource = Static<typeof Resource>;

export const ResourceListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Words that must all appear in the title, description or tags (case-insensitive)' })),
    tag: Type.Optional(Type.Array(ResourceTag, { maxItems: 10, description: 'Only resources carrying every one of these tags' })),
    kind: Type.Optional(ResourceKind),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const ResourceParams = Type.Object({ resourceId: Uuid });
export const ResourceShareParams = Type.Object({ threadId: Uuid, resourceId: Uuid });

export const ResourceShare = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Client-generated message id; retrying the same share never duplicates' }),
    text: Type.Optional(MessageBody),
    internal: Type.Optional(Type.Boolean({ description: 'Share into an internal note of a patient thread (providers and staff see it, the patient never does)' })),
  },
  { additionalProperties: false },
);
export type ResourceShare = Static<typeof ResourceShare>;
