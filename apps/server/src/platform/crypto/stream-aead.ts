import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from './aead.js';

/**
 * Streaming authenticated encryption for files (attachments, previews): AES-256-GCM over fixed-size chunks, in the
 * manner of Tink's AES-GCM-HKDF streaming AEAD. Memory stays at about one chunk whatever the file size.
 *
 *   header   = "HVA" 0x01 | salt (32) | nonce prefix (7)
 *   chunk i  = AES-256-GCM(fileKey, nonce_i, plaintext_i, aad_i) | tag (16), plaintext_i = 64 KiB except the last
 *   fileKey  = HKDF-SHA256(data key, salt, info = binding)        a fresh key per file
 *   nonce_i  = prefix | uint32be(i) | final flag (0 or 1)
 *   aad_i    = binding | i | final flag
 *
 * The binding names the object (organization, attachment, variant), so a stored file moved to another row fails.
 * The index in every nonce and AAD detects reordering; the final flag detects truncation at a chunk boundary and
 * data appended after the end. Nothing is released before its chunk's tag has been verified.
 */
const MAGIC = Buffer.from([0x48, 0x56, 0x41, 0x01]); // "HVA", format 1
const SALT_LEN = 32;
const PREFIX_LEN = 7;
const TAG_LEN = 16;
export const CHUNK_SIZE = 64 * 1024;
const HEADER_LEN = MAGIC.length + SALT_LEN + PREFIX_LEN;
const FRAME_LEN = CHUNK_SIZE + TAG_LEN;

function fileKey(key: Buffer, salt: Buffer, binding: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, Buffer.from(`haven-file|${binding}`, 'utf8'), 32));
}

function nonce(prefix: Buffer, index: number, final: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, PREFIX_LEN);
  n[11] = final ? 1 : 0;
  return n;
}

const chunkAad = (binding: string, index: number, final: boolean): Buffer => Buffer.from(`${binding}|${index}|${final ? 1 : 0}`, 'utf8');

/** Size of the encrypted form of `plaintextBytes` bytes. */
export function encryptedSize(plaintextBytes: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextBytes / CHUNK_SIZE));
  return HEADER_LEN + plaintextBytes + chunks * TAG_LEN;
}

/** Encrypts a byte stream. `binding` must be the same string on decryption. */
export function encryptStream(key: Buffer, binding: string): Transform {
  const salt = randomBytes(SALT_LEN);
  const prefix = randomBytes(PREFIX_LEN);
  const k = fileKey(key, salt, binding);
  let index = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const sealChunk = (plaintext: Buffer, final: boolean): Buffer => {
    if (index > 0xffffffff) throw new Error('file too large for the stream format');
    const cipher = createCipheriv('aes-256-gcm', k, nonce(prefix, index, final), { authTagLength: TAG_LEN });
    cipher.setAAD(chunkAad(binding, index, final));
    const out = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    index++;
    return out;
  };
  return new Transform({
    construct(callback) {
      this.push(Buffer.concat([MAGIC, salt, prefix]));
      callback();
    },
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      pending.push(chunk);
      pendingLen += chunk.length;
      // A full chunk is sealed as non-final only once more bytes follow it: the last chunk is always final.
      if (pendingLen > CHUNK_SIZE) {
        let buf = Buffer.concat(pending, pendingLen);
        while (buf.length > CHUNK_SIZE) {
          this.push(sealChunk(buf.subarray(0, CHUNK_SIZE), false));
          buf = buf.subarray(CHUNK_SIZE);
        }
        pending = [Buffer.from(buf)];
        pendingLen = buf.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      this.push(sealChunk(Buffer.concat(pending, pendingLen), true));
      pending = [];
      callback();
    },
  });
}

/** Decrypts what encryptStream wrote; fails with IntegrityError on any change, reordering, truncation or extension. */
export function decryptStream(key: Buffer, binding: string): Transform {
  let header: Buffer | null = null;
  let k: Buffer | null = null;
  let prefix: Buffer | null = null;
  let index = 0;
  let buf: Buffer = Buffer.alloc(0);
  const openChunk = (frame: Buffer, final: boolean): Buffer => {
    if (frame.length < TAG_LEN) throw new IntegrityError('truncated attachment');
    const decipher = createDecipheriv('aes-256-gcm', k!, nonce(prefix!, index, final), { authTagLength: TAG_LEN });
    decipher.setAAD(chunkAad(binding, index, final));
    decipher.setAuthTag(frame.subarray(frame.length - TAG_LEN));
    try {
      const out = Buffer.concat([decipher.update(frame.subarray(0, frame.length - TAG_LEN)), decipher.final()]);
      index++;
      return out;
    } catch {
      throw new IntegrityError('attachment failed authentication');
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      try {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        if (!header) {
          if (buf.length < HEADER_LEN) return callback();
          header = buf.subarray(0, HEADER_LEN);
          if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new IntegrityError('unknown attachment format');
          k = fileKey(key, header.subarray(MAGIC.length, MAGIC.length + SALT_LEN), binding);
          prefix = Buffer.from(header.subarray(MAGIC.length + SALT_LEN));
          buf = buf.subarray(HEADER_LEN);
        }
        // Hold back the last frame until more bytes or the end show whether it is the final one.
        while (buf.length > FRAME_LEN) {
          this.push(openChunk(buf.subarray(0, FRAME_LEN), false));
          buf = buf.subarray(FRAME_LEN);
        }
        buf = Buffer.from(buf);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header) throw new IntegrityError('truncated attachment');
        this.push(openChunk(buf, true));
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
