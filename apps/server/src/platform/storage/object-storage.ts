import type { Readable } from 'node:stream';

/**
 * Where attachment bytes live. Objects are opaque, already-encrypted blobs under keys Haven chooses (never derived
 * from file names). Two backends: a local directory (default) and S3-compatible object storage.
 */
export interface ObjectStorage {
  readonly kind: 'local' | 's3';
  /** Stores the stream under `key`, all or nothing: on a stream error nothing remains under the key. */
  put(key: string, body: Readable): Promise<{ bytes: number }>;
  /** The stored bytes; ObjectNotFoundError when there is no such object. */
  get(key: string): Promise<Readable>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor() {
    super('no such stored object');
    this.name = 'ObjectNotFoundError';
  }
}

/** Object keys: slash-separated segments of letters, digits, dot, dash, underscore; no empty, '.' or '..' segment. */
export function assertObjectKey(key: string): void {
  const ok = key.length <= 512 && key.split('/').every((s) => /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(s));
  if (!ok) throw new Error('invalid object key');
}
