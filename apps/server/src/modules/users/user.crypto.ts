import { aad } from '../../platform/crypto/aead.js';
import type { Queryable } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { blindValue, normalizeEmail } from '../../platform/crypto/blind-index.js';

export type UserField = 'email' | 'name' | 'phone' | 'dob' | 'mrn' | 'totp';

/** Identifying fields are encrypted with the user's record key, bound to organization, user and field. */
export const userFieldAad = (orgId: string, userId: string, field: UserField): string => aad('user', orgId, userId, field);

export async function emailIndex(keyring: Keyring, orgId: string, email: string, tx?: Queryable): Promise<Buffer> {
  return blindValue(await keyring.blindIndexKey(orgId, tx), 'email', normalizeEmail(email));
}

export async function mrnIndex(keyring: Keyring, orgId: string, mrn: string, tx?: Queryable): Promise<Buffer> {
  return blindValue(await keyring.blindIndexKey(orgId, tx), 'mrn', mrn.trim().toUpperCase());
}

export class UserFieldCipher {
  constructor(private readonly keyring: Keyring) {}

  seal(keyId: string, orgId: string, userId: string, field: UserField, value: string, tx?: Queryable): Promise<Buffer> {
    return this.keyring.encrypt(keyId, value, userFieldAad(orgId, userId, field), tx);
  }

  async open(keyId: string, orgId: string, userId: string, field: UserField, value: Buffer | null): Promise<string | null> {
    if (!value) return null;
    return this.keyring.decrypt(keyId, value, userFieldAad(orgId, userId, field));
  }
}
