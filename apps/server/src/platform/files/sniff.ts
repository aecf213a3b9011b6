import { Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../http/errors.js';

/** How many leading bytes the sniffer sees (enough for the office formats' first ZIP entries). */
export const SNIFF_BYTES = 256 * 1024;
/** Window checked for HTML/script markers in binary files (what browsers' HTML sniffing looks at, and more). */
const MARKUP_WINDOW = 1024;

export type AttachmentKind = 'image' | 'text' | 'file';
export interface SniffedType {
  /** The type stored and served. */
  contentType: string;
  kind: AttachmentKind;
}

/** Names clients use for the same type. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/heif': 'image/heic',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'video/x-m4v': 'video/mp4',
  'audio/opus': 'audio/ogg',
};

/**
 * Containers whose signature cannot tell audio from video (or one brand from another): a declared type is accepted
 * when the bytes are any member of its family, and the declared member is kept.
 */
const FAMILIES: string[][] = [
  ['video/mp4', 'audio/mp4', 'video/quicktime'],
  ['video/webm', 'audio/webm'],
  ['audio/ogg', 'video/ogg'],
  ['image/heic', 'image/heic-sequence', 'image/avif'],
];

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic']);
const MARKUP = /<\s*(script|html|!doctype\s+html|iframe|svg|body|head|object|embed|meta|link|form)/i;

/** The declared Content-Type, lower-cased, without parameters, with aliases resolved. */
export function normalizeType(raw: string | undefined): string {
  const bare = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

const sameFamily = (a: string, b: string): boolean => a === b || FAMILIES.some((f) => f.includes(a) && f.includes(b));

/**
 * Decides the real type of an upload from its first bytes. The rules:
 * - the declared type must be allowed;
 * - the signature found in the bytes must be the declared type (or of its container family); a file with no known
 *   signature is accepted only as text/plain, and then every byte must be UTF-8 text (checked while streaming);
 * - a non-image file whose first KiB contains HTML or script markup is refused, even with a valid signature (a
 *   polyglot such as a PDF header followed by an HTML page), so no browser or tool can be coaxed into rendering it;
 *   images need no such check: they are re-encoded from their pixels, which drops whatever rode along.
 */
export async function sniff(head: Buffer, declaredRaw: string | undefined, allowed: ReadonlySet<string>): Promise<SniffedType> {
  const declared = normalizeType(declaredRaw);
  if (!declared || !allowed.has(declared)) {
    throw new AppError('attachment_type_not_allowed', `Accepted types: ${[...allowed].join(', ')}`);
  }
  const found = await fileTypeFromBuffer(head).catch(() => undefined);
  if (!found) {
    if (declared === 'text/plain') return { contentType: 'text/plain', kind: 'text' };
    throw new AppError('attachment_type_mismatch', `The content is not ${declared}`);
  }
  const actual = ALIASES[found.mime] ?? found.mime;
  if (!sameFamily(declared, actual)) throw new AppError('attachment_type_mismatch', `The content is not ${declared}`);
  // Images are re-encoded from their pixels, which drops anything appended or embedded; other files are kept as sent.
  if (IMAGE_TYPES.has(declared)) return { contentType: declared, kind: 'image' };
  if (MARKUP.test(head.subarray(0, MARKUP_WINDOW).toString('latin1'))) {
    throw new AppError('attachment_type_mismatch', 'The file contains markup that does not belong to its type');
  }
  return { contentType: declared, kind: 'file' };
}

/** Passes text through only while it is UTF-8 without control characters (tab, line breaks and form feed allowed). */
export function plainTextGuard(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const check = (text: string): void => {
    if (/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text)) throw new AppError('attachment_type_mismatch', 'The content is not plain text');
  };
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      try {
        check(decoder.decode(chunk, { stream: true }));
        callback(null, chunk);
      } catch (err) {
        callback(err instanceof AppError ? err : new AppError('attachment_type_mismatch', 'The content is not UTF-8 text'));
      }
    },
    flush(callback: TransformCallback) {
      try {
        check(decoder.decode());
        callback();
      } catch (err) {
        callback(err instanceof AppError ? err : new AppError('attachment_type_mismatch', 'The content is not UTF-8 text'));
      }
    },
  });
}
