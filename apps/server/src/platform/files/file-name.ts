/**
 * File names come from the client and are shown to other people and handed to their operating systems: they must
 * not carry paths, control characters, bidirectional overrides (which make "photo‮gpj.exe" read as "photoexe.jpg"),
 * reserved device names or an extension that lies about the type.
 */
const MAX_LENGTH = 150;
// C0/C1 controls, DEL; bidi embeddings, overrides and isolates; zero-width and invisible formatting; BOM; line/paragraph separators.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb]/gu;
const RESERVED_PUNCTUATION = /[<>:"|?*]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

/** Extensions a file of each type may keep; the first is the one added when the name has none of them. */
export const EXTENSIONS: Record<string, string[]> = {
  'image/jpeg': ['jpg', 'jpeg'],
  'image/png': ['png'],
  'image/gif': ['gif'],
  'image/webp': ['webp'],
  'image/heic': ['heic', 'heif'],
  'application/pdf': ['pdf'],
  'video/mp4': ['mp4', 'm4v'],
  'video/quicktime': ['mov', 'qt'],
  'video/webm': ['webm'],
  'audio/mpeg': ['mp3', 'mpga'],
  'audio/mp4': ['m4a', 'mp4', 'aac'],
  'audio/ogg': ['ogg', 'oga', 'opus'],
  'audio/wav': ['wav'],
  'audio/webm': ['weba', 'webm'],
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': ['docx'],
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': ['xlsx'],
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': ['pptx'],
  'application/vnd.oasis.opendocument.text': ['odt'],
  'text/plain': ['txt', 'text', 'log', 'md', 'csv'],
};

/** Decodes the percent-encoded `x-haven-filename` header; undefined when it is not valid percent-encoded UTF-8. */
export function decodeFileNameHeader(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * A safe name for a file of `contentType` (the type found in its bytes): the last path component only, unsafe and
 * reserved characters replaced, Windows device names defused, length bounded, and an extension that matches the
 * real type (a wrong one is replaced: "invoice.exe" as a PDF becomes "invoice.pdf").
 */
export function neutralizeFileName(raw: string, contentType: string, fallbackExtension?: string): string {
  let name = raw.normalize('NFC');
  name = name.replace(UNSAFE_CHARS, '');
  // Only the last component of any path, POSIX or Windows.
  name = name.split(/[/\\]/).pop() ?? '';
  name = name.replace(RESERVED_PUNCTUATION, '_');
  name = name.replace(/\s+/g, ' ').trim();
  // No hidden files, no "..", no trailing dots or spaces (Windows drops them).
  name = name.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');

  const allowed = EXTENSIONS[contentType] ?? (fallbackExtension ? [fallbackExtension] : []);
  const dot = name.lastIndexOf('.');
  let stem = dot > 0 ? name.slice(0, dot) : name;
  let ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  if (!allowed.includes(ext)) {
    // Drop an extension that lies about the type; keep anything else that merely contains a dot.
    if (!/^[a-z0-9]{1,8}$/.test(ext)) stem = name;
    ext = allowed[0] ?? '';
  }
  stem = stem.replace(/[.\s]+$/, '');
  const base = stem.split('.')[0] ?? '';
  if (WINDOWS_RESERVED.test(base.trim())) stem = `_${stem}`;
  if (!stem) stem = 'attachment';
  const room = MAX_LENGTH - (ext ? ext.length + 1 : 0);
  stem = [...stem].slice(0, room).join('').trim() || 'attachment';
  return ext ? `${stem}.${ext}` : stem;
}

/** Content-Disposition with an ASCII fallback and the exact UTF-8 name (RFC 6266, RFC 8187). */
export function contentDisposition(kind: 'attachment' | 'inline', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
