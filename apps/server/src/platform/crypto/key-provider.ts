import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { open, seal } from './aead.js';

/**
 * Holds the master key and wraps/unwraps organization keys with it. A KMS or Vault adapter implements the same
 * interface and keeps the master key outside Haven's memory.
 */
export interface KeyProvider {
  /** Stable id of the master key (a fingerprint), stored beside everything it wraps. */
  readonly keyId: string;
  wrap(plaintext: Buffer, aad: string): Promise<Buffer>;
  unwrap(wrapped: Buffer, aad: string): Promise<Buffer>;
}

export class LocalKeyProvider implements KeyProvider {
  readonly keyId: string;
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
    this.keyId = `local:${createHash('sha256').update('haven-master-key-id').update(key).digest('hex').slice(0, 16)}`;
  }
  async wrap(plaintext: Buffer, aadText: string): Promise<Buffer> {
    return seal(this.key, plaintext, aadText);
  }
  async unwrap(wrapped: Buffer, aadText: string): Promise<Buffer> {
    return open(this.key, wrapped, aadText);
  }
}

export function parseMasterKey(base64: string): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error('HAVEN_MASTER_KEY must be the base64 encoding of exactly 32 bytes');
  return key;
}

/** Reads the key file, creating it (mode 0600, random 256 bits) on first start. */
export async function loadOrCreateKeyFile(file: string): Promise<{ key: Buffer; created: boolean }> {
  if (existsSync(file)) {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
    return { key: parseMasterKey(await readFile(file, 'utf8')), created: false };
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}

export async function createKeyProvider(options: { masterKey?: string; masterKeyFile: string }): Promise<{
  provider: KeyProvider;
  created: boolean;
}> {
  if (options.masterKey) return { provider: new LocalKeyProvider(parseMasterKey(options.masterKey)), created: false };
  const { key, created } = await loadOrCreateKeyFile(options.masterKeyFile);
  return { provider: new LocalKeyProvider(key), created };
}
