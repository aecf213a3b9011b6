import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Ciphertext layout: format byte (1) | IV (12) | GCM tag (16) | ciphertext. */
const FORMAT_V1 = 1;
const IV_LEN = 12;
const TAG_LEN = 16;

export class IntegrityError extends Error {
  constructor(message = 'ciphertext failed authentication') {
    super(message);
    this.name = 'IntegrityError';
  }
}

export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_LEN);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), ct]);
}

export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV_LEN + TAG_LEN || sealed[0] !== FORMAT_V1) throw new IntegrityError('unknown ciphertext format');
  const iv = sealed.subarray(1, 1 + IV_LEN);
  const tag = sealed.subarray(1 + IV_LEN, 1 + IV_LEN + TAG_LEN);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_LEN + TAG_LEN)), decipher.final()]);
  } catch {
    throw new IntegrityError();
  }
}

/** Associated data binding a ciphertext to where it lives; moving it elsewhere makes decryption fail. */
export const aad = (...parts: (string | number)[]): string => `haven:v1|${parts.join('|')}`;
