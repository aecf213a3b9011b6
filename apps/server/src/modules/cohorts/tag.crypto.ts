import { aad } from '../../platform/crypto/aead.js';
import { blindValue } from '../../platform/crypto/blind-index.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Queryable } from '../../platform/db/database.js';

/** Tags are compared lower-cased (the API accepts letters, digits, - and _ only). */
export const normalizeTag = (tag: string): string => tag.trim().toLowerCase();

/** Distinct normalized tags, sorted. */
export const normalizeTags = (tags: readonly string[]): string[] => [...new Set(tags.map(normalizeTag))].sort();

/** The keyed blind index of a tag: equal tags give equal values within one organization only. */
export async function tagIndexes(keyring: Keyring, orgId: string, tags: readonly string[], tx?: Queryable): Promise<Buffer[]> {
  const key = await keyring.blindIndexKey(orgId, tx);
  return normalizeTags(tags).map((t) => blindValue(key, 'tag', t));
}

/** A tag's ciphertext is bound to its organization and its blind index: moved to another tag's row, it fails. */
export const tagAad = (orgId: string, bidx: Buffer): string => aad('tag', orgId, bidx.toString('hex'));
