import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { aad } from '../../platform/crypto/aead.js';
import type { KeyProvider } from '../../platform/crypto/key-provider.js';
import type { AuditStore } from './audit.store.js';

export interface SigningKey {
  id: string;
  publicKeyPem: string;
  privateKey: KeyObject;
}

/** Ed25519 keys that sign audit checkpoints; the private key is stored wrapped by the master key. */
export class AuditSigner {
  private active: SigningKey | undefined;
  private readonly publicKeys = new Map<string, KeyObject>();

  constructor(
    private readonly store: AuditStore,
    private readonly provider: KeyProvider,
  ) {}

  async ensureKey(): Promise<SigningKey> {
    if (this.active) return this.active;
    let rows = await this.store.signingKeys();
    if (rows.length === 0) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const id = `ed25519:${createHash('sha256').update(publicKeyPem).digest('hex').slice(0, 16)}`;
      const der = privateKey.export({ type: 'pkcs8', format: 'der' });
      await this.store.insertSigningKey({
        id,
        publicKeyPem,
        privateKeyCt: await this.provider.wrap(der, aad('audit_signing_key', id)),
        masterKeyId: this.provider.keyId,
      });
      rows = await this.store.signingKeys();
    }
    const row = rows[0];
    if (!row) throw new Error('no audit signing key');
    const der = await this.provider.unwrap(row.private_key_ct, aad('audit_signing_key', row.id));
    this.active = { id: row.id, publicKeyPem: row.public_key_pem, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
    return this.active;
  }

  async sign(message: Buffer): Promise<{ keyId: string; signature: Buffer }> {
    const key = await this.ensureKey();
    return { keyId: key.id, signature: sign(null, message, key.privateKey) };
  }

  async verify(keyId: string, message: Buffer, signature: Buffer): Promise<boolean> {
    let pub = this.publicKeys.get(keyId);
    if (!pub) {
      const row = (await this.store.signingKeys()).find((k) => k.id === keyId);
      if (!row) return false;
      pub = createPublicKey(row.public_key_pem);
      this.publicKeys.set(keyId, pub);
    }
    return verify(null, message, pub, signature);
  }
}
