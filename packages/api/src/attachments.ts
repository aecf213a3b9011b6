import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';

/**
 * Attachments: files uploaded to a thread for a message id the client sends (or has sent). The upload body is the
 * raw file (Content-Type = its type, `x-haven-filename` = its percent-encoded name); downloads answer the bytes.
 */
export const AttachmentStatus = Type.Union([Type.Literal('pending_scan'), Type.Literal('ready'), Type.Literal('rejected')], {
  description: 'pending_scan: quarantined until the malware scanner has checked it; ready: downloadable; rejected: the scanner found malware (bytes deleted)',
});
export type AttachmentStatus = Static<typeof AttachmentStatus>;

export const Attachment = Type.Object({
  id: Uuid,
  threadId: Uuid,
  messageId: Uuid,
  uploaderId: Uuid,
  fileName: Type.String({ description: 'Neutralized name: no path, no control or bidi characters, an extension matching the real type' }),
  contentType: Type.String({ description: 'The type found in the bytes (never the declared one alone)' }),
  size: Type.Integer({ description: 'Bytes a download returns (images: after metadata removal)' }),
  contentHash: Type.String({ description: 'Keyed hash (HMAC-SHA256 under the record key) of the stored bytes, hex' }),
  status: AttachmentStatus,
  hasPreview: Type.Boolean(),
  linked: Type.Boolean({ description: 'true once the message with this id (same thread, same sender) exists; before that only the uploader sees it' }),
  createdAt: Timestamp,
});
export type Attachment = Static<typeof Attachment>;

export const AttachmentList = Type.Object({ items: Type.Array(Attachment) });

/** An attachment as it appears inside a message (metadata only; the bytes come from attachments.download). */
export const AttachmentSummary = Type.Object({
  id: Uuid,
  fileName: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  status: AttachmentStatus,
  hasPreview: Type.Boolean(),
});
export type AttachmentSummary = Static<typeof AttachmentSummary>;

export const AttachmentUploadHeaders = Type.Object({
  'content-type': Type.String({ maxLength: 200, description: 'Declared type of the file; must match the bytes' }),
  'x-haven-filename': Type.Optional(Type.String({ maxLength: 2000, description: 'File name, percent-encoded (UTF-8)' })),
  'content-length': Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
});

export const AttachmentParams = Type.Object({ threadId: Uuid, messageId: Uuid, attachmentId: Uuid });

/** A binary body or answer: documented as bytes, never validated or serialized as JSON. */
export const BinaryContent = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'Raw file bytes' });
