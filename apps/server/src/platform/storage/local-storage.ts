import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertObjectKey, ObjectNotFoundError, type ObjectStorage } from './object-storage.js';

/**
 * Objects as files under one directory (mode 0700, files 0600). A put writes a temporary file, fsyncs it and renames
 * it into place, so a reader never sees half an object and a failed upload leaves nothing behind.
 */
export class LocalObjectStorage implements ObjectStorage {
  readonly kind = 'local' as const;
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    assertObjectKey(key);
    return path.join(this.dir, ...key.split('/'));
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    const target = this.file(key);
    const tmpDir = path.join(this.dir, '.tmp');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
    const tmp = path.join(tmpDir, randomUUID());
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(tmp, { mode: 0o600, flags: 'wx' }));
      const fh = await open(tmp, 'r');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
      return { bytes };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const stream = createReadStream(this.file(key), { highWaterMark: 64 * 1024 });
    // Surface a missing file as ObjectNotFoundError before anyone starts answering.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new ObjectNotFoundError() : err));
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}
