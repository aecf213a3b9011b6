import { randomBytes, randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/database.js';
import { aad, open, seal } from './aead.js';
import type { KeyProvider } from './key-provider.js';

export type DataKeyPurpose = 'patient' | 'organization' | 'blind_index';

export class KeyShreddedError extends Error {
  constructor() {
    super('the data key of this record was destroyed');
    this.name = 'KeyShreddedError';
  }
}

/**
 * Envelope encryption: master key (key provider) → organization key (versioned) → data keys (one per patient
 * record, one for the organization's other data, one for the blind index) → field ciphertexts.
 * Unwrapped keys are cached in memory only.
 */
export class Keyring {
  private readonly orgKeys = new Map<string, Buffer>();
  private readonly dataKeys = new Map<string, Buffer>();
  private readonly dataKeyIds = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly provider: KeyProvider,
  ) {}

  get masterKeyId(): string {
    return this.provider.keyId;
  }

  /** Creates version 1 of an organization's key and its organization and blind-index data keys. */
  async initOrganization(tx: Queryable, orgId: string): Promise<void> {
    const orgKey = randomBytes(32);
    await tx
      .insertInto('org_keys')
      .values({
        org_id: orgId,
        version: 1,
        wrapped: await this.provider.wrap(orgKey, aad('org_key', orgId, 1)),
        master_key_id: this.provider.keyId,
      })
      .execute();
    this.orgKeys.set(`${orgId}:1`, orgKey);
    await this.createDataKey(tx, orgId, 'organization', null);
    await this.createDataKey(tx, orgId, 'blind_index', null);

  }

  async createDataKey(tx: Queryable, orgId: string, purpose: DataKeyPurpose, patientId: string | null): Promise<string> {
    const version = await this.currentOrgKeyVersion(tx, orgId);
    const orgKey = await this.orgKey(tx, orgId, version);
    const id = randomUUID();
    const key = randomBytes(32);
    await tx
      .insertInto('data_keys')
      .values({
        id,
        org_id: orgId,
        purpose,
        patient_id: patientId,
        org_key_version: version,
        wrapped: seal(orgKey, key, aad('data_key', orgId, id)),
      })
      .execute();
    this.dataKeys.set(id, key);
    return id;
  }

  /** Id of the organization-wide data key for the given purpose. */
  async orgDataKeyId(orgId: string, purpose: 'organization' | 'blind_index', tx: Queryable = this.db): Promise<string> {
    const cacheKey = `${orgId}:${purpose}`;
    const cached = this.dataKeyIds.get(cacheKey);
    if (cached) return cached;
    const row = await tx
      .selectFrom('data_keys')
      .select('id')
      .where('org_id', '=', orgId)
      .where('purpose', '=', purpose)
      .executeTakeFirstOrThrow();
    this.dataKeyIds.set(cacheKey, row.id);
    return row.id;
  }

  async dataKey(keyId: string, tx: Queryable = this.db): Promise<Buffer> {
    const cached = this.dataKeys.get(keyId);
    if (cached) return cached;
    const row = await tx
      .selectFrom('data_keys')
      .select(['org_id', 'org_key_version', 'wrapped'])
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    if (!row.wrapped) throw new KeyShreddedError();
    const orgKey = await this.orgKey(tx, row.org_id, row.org_key_version);
    const key = open(orgKey, row.wrapped, aad('data_key', row.org_id, keyId));
    this.dataKeys.set(keyId, key);
    return key;
  }

  async blindIndexKey(orgId: string, tx: Queryable = this.db): Promise<Buffer> {
    return this.dataKey(await this.orgDataKeyId(orgId, 'blind_index', tx), tx);
  }

  async encrypt(keyId: string, plaintext: string, binding: string, tx?: Queryable): Promise<Buffer> {
    return seal(await this.dataKey(keyId, tx), Buffer.from(plaintext, 'utf8'), binding);
  }

  async decrypt(keyId: string, sealed: Buffer, binding: string, tx?: Queryable): Promise<string> {
    return open(await this.dataKey(keyId, tx), sealed, binding).toString('utf8');
  }

  /**
   * Rotates an organization key: a new version wraps every data key again. No field ciphertext changes.
   */
  async rotateOrganizationKey(orgId: string): Promise<{ version: number; rewrapped: number }> {
    return this.db.transaction().execute(async (tx) => {
      const current = await this.currentOrgKeyVersion(tx, orgId, true);
      const version = current + 1;
      const newKey = randomBytes(32);
      await tx
        .insertInto('org_keys')
        .values({ org_id: orgId, version, wrapped: await this.provider.wrap(newKey, aad('org_key', orgId, version)), master_key_id: this.provider.keyId })
        .execute();
      const rows = await tx
        .selectFrom('data_keys')
        .select(['id', 'org_key_version', 'wrapped'])
        .where('org_id', '=', orgId)
        .where('wrapped', 'is not', null)
        .execute();
      for (const row of rows) {
        const oldKey = await this.orgKey(tx, orgId, row.org_key_version);
        const key = open(oldKey, row.wrapped as Buffer, aad('data_key', orgId, row.id));
        await tx
          .updateTable('data_keys')
          .set({ org_key_version: version, wrapped: seal(newKey, key, aad('data_key', orgId, row.id)) })
          .where('id', '=', row.id)
          .execute();
      }
      this.orgKeys.set(`${orgId}:${version}`, newKey);
      return { version, rewrapped: rows.length };
    });
  }

  /** Re-wraps every organization key with another key provider (master key rotation). */
  async rewrapOrganizationKeys(next: KeyProvider): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      const rows = await tx.selectFrom('org_keys').selectAll().execute();
      for (const row of rows) {
        const key = await this.provider.unwrap(row.wrapped, aad('org_key', row.org_id, row.version));
        await tx
          .updateTable('org_keys')
          .set({ wrapped: await next.wrap(key, aad('org_key', row.org_id, row.version)), master_key_id: next.keyId })
          .where('org_id', '=', row.org_id)
          .where('version', '=', row.version)
          .execute();
      }
      return rows.length;
    });
  }

  private async currentOrgKeyVersion(tx: Queryable, orgId: string, lock = false): Promise<number> {
    let q = tx.selectFrom('org_keys').select('version').where('org_id', '=', orgId).orderBy('version', 'desc').limit(1);
    if (lock) q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    return row.version;
  }

  private async orgKey(tx: Queryable, orgId: string, version: number): Promise<Buffer> {
    const cacheKey = `${orgId}:${version}`;
    const cached = this.orgKeys.get(cacheKey);
    if (cached) return cached;
    const row = await tx
      .selectFrom('org_keys')
      .select('wrapped')
      .where('org_id', '=', orgId)
      .where('version', '=', version)
      .executeTakeFirstOrThrow();
    const key = await this.provider.unwrap(row.wrapped, aad('org_key', orgId, version));
    this.orgKeys.set(cacheKey, key);
    return key;
  }
}
