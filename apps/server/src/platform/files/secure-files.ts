import { createHmac, randomUUID, type Hmac } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import { IntegrityError } from '../crypto/aead.js';
import { decryptStream, encryptStream } from '../crypto/stream-aead.js';
import { AppError } from '../http/errors.js';
import { ObjectNotFoundError, type ObjectStorage } from '../storage/object-storage.js';
import { decodeFileNameHeader, neutralizeFileName } from './file-name.js';
import { processImage } from './image.js';
import { plainTextGuard, sniff, SNIFF_BYTES } from './sniff.js';
import { collect, limitedBody, peek, primed } from './streams.js';

export type FileVariant = 'content' | 'preview';

export interface FileLimits {
  maxBytes: number;
  /** Images are decoded in memory to strip their metadata: they have their own, smaller limit. */
  imageMaxBytes: number;
  allowedTypes: readonly string[];
}

/** A file arriving as a raw request body. */
export interface IncomingFile {
  /** The request body, unread. */
  body: Readable;
  contentType: string | undefined;
  contentLength: number | undefined;
  /** The percent-encoded x-haven-filename header. */
  fileName: string | undefined;
}

/** A file Haven already holds (checked and cleaned when it came in), to be sealed again for another owner. */
export interface FileSource {
  fileName: string;
  contentType: string;
  size: number;
  hasPreview: boolean;
  /** The decrypted, verified bytes of the content or the preview. */
  open(variant: FileVariant): Promise<Readable>;
}

/** Where and how a file is sealed: the data key, the associated data of each stored object, the keyed-hash label. */
export interface SealingTarget {
  key: Buffer;
  /** Prefix of the object keys (the organization id); the rest of a key is random, never derived from names. */
  prefix: string;
  binding: (variant: FileVariant) => string;
  /** Domain label of the keyed content hash, e.g. "haven-attachment". */
  hashLabel: string;
}

export interface SealedFile {
  /** Neutralized name, with an extension matching the real type. */
  fileName: string;
  /** The type found in the bytes (images: the type they were re-encoded to). */
  contentType: string;
  /** Plaintext bytes stored (images: after metadata removal). */
  size: number;
  /** HMAC-SHA256 of the stored plaintext under the target's data key. */
  contentHash: Buffer;
  storageKey: string;
  previewStorageKey: string | null;
}

/**
 * Files at rest, for every module that keeps them (attachments, the resource library): what comes in is checked
 * (declared size, type read from the bytes, UTF-8 for text, markup in binaries), cleaned (images re-encoded without
 * metadata, with a WebP preview), named safely, and encrypted while it streams into object storage (chunked
 * AES-256-GCM under a caller's data key and binding). Owners keep their own rows; this class keeps no state.
 */
export class SecureFiles {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly storage: ObjectStorage,
    readonly limits: FileLimits,
  ) {
    this.allowed = new Set(limits.allowedTypes);
  }

  /**
   * Checks, seals and stores an uploaded file. What can be refused without reading (a bad name header, a declared
   * length over the limit) is refused first. On any failure nothing stays in storage.
   */
  async ingest(input: IncomingFile, target: SealingTarget): Promise<SealedFile> {
    const rawName = decodeFileNameHeader(input.fileName);
    if (rawName === undefined) {
      throw new AppError('validation_failed', 'x-haven-filename must be percent-encoded UTF-8', { errors: [{ path: '/headers/x-haven-filename', message: 'invalid encoding' }] });
    }
    if (input.contentLength !== undefined && input.contentLength > this.limits.maxBytes) {
      throw new AppError('payload_too_large', `Files are limited to ${this.limits.maxBytes} bytes`);
    }
    const source = limitedBody(input.body, this.limits.maxBytes);
    const { head, stream } = await peek(source, SNIFF_BYTES);
    const type = await sniff(head, input.contentType, this.allowed).catch((err: unknown) => {
      stream.destroy();
      throw err;
    });

    const stored: string[] = [];
    try {
      let contentType = type.contentType;
      let size: number;
      let hash: Buffer;
      let previewKey: string | null = null;
      const contentKey = this.objectKey(target);
      if (type.kind === 'image') {
        const tooLarge = () => new AppError('payload_too_large', `Images are limited to ${this.limits.imageMaxBytes} bytes`);
        const image = await processImage(await collect(stream, this.limits.imageMaxBytes, tooLarge), contentType);
        contentType = image.contentType;
        size = image.content.length;
        hash = contentHmac(target).update(image.content).digest();
        stored.push(contentKey);
        await this.seal(contentKey, Readable.from([image.content]), [], target.key, target.binding('content'));
        previewKey = this.objectKey(target);
        stored.push(previewKey);
        await this.seal(previewKey, Readable.from([image.preview]), [], target.key, target.binding('preview'));
      } else {
        const measured = measure(contentHmac(target));
        stored.push(contentKey);
        await this.seal(contentKey, stream, type.kind === 'text' ? [plainTextGuard(), measured.stage] : [measured.stage], target.key, target.binding('content'));
        size = measured.bytes();
        hash = measured.digest();
      }
      return { fileName: neutralizeFileName(rawName, contentType), contentType, size, contentHash: hash, storageKey: contentKey, previewStorageKey: previewKey };
    } catch (err) {
      stream.destroy();
      await this.remove(stored);
      throw err;
    }
  }

  /**
   * Seals a copy of a file Haven already holds for another owner (another key, another binding): the bytes are
   * decrypted, verified and encrypted again while they stream, never re-interpreted. The type must still be accepted
   * and the size within the limit (settings may have changed since the original came in).
   */
  async copy(source: FileSource, target: SealingTarget): Promise<SealedFile> {
    if (!this.allowed.has(source.contentType)) throw new AppError('attachment_type_not_allowed', `Accepted types: ${[...this.allowed].join(', ')}`);
    if (source.size > this.limits.maxBytes) throw new AppError('payload_too_large', `Files are limited to ${this.limits.maxBytes} bytes`);
    const stored: string[] = [];
    try {
      const contentKey = this.objectKey(target);
      const measured = measure(contentHmac(target));
      stored.push(contentKey);
      await this.seal(contentKey, await source.open('content'), [measured.stage], target.key, target.binding('content'));
      let previewKey: string | null = null;
      if (source.hasPreview) {
        previewKey = this.objectKey(target);
        stored.push(previewKey);
        await this.seal(previewKey, await source.open('preview'), [], target.key, target.binding('preview'));
      }
      return {
        fileName: neutralizeFileName(source.fileName, source.contentType),
        contentType: source.contentType,
        size: measured.bytes(),
        contentHash: measured.digest(),
        storageKey: contentKey,
        previewStorageKey: previewKey,
      };
    } catch (err) {
      await this.remove(stored);
      throw err;
    }
  }

  /**
   * The verified plaintext of a stored object. The first chunk is verified before this resolves (damage there is an
   * IntegrityError the caller can answer cleanly); later damage fails the stream before the damaged chunk.
   */
  async open(objectKey: string, key: Buffer, binding: string): Promise<Readable> {
    let stored: Readable;
    try {
      stored = await this.storage.get(objectKey);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new IntegrityError('stored file is missing');
      throw err;
    }
    const plain = pipeline(stored, decryptStream(key, binding), () => undefined);
    return primed(plain);
  }

  /** Deletes a file's stored objects (missing ones are not an error). */
  async discard(file: { storageKey: string | null; previewStorageKey: string | null }): Promise<void> {
    await Promise.all([file.storageKey, file.previewStorageKey].filter((k): k is string => k !== null).map((k) => this.storage.delete(k)));
  }

  private objectKey(target: SealingTarget): string {
    return `${target.prefix}/${randomUUID()}`;
  }

  /** Streams `source` through `stages` and the encryption into storage; the first failure of any part wins. */
  private async seal(objectKey: string, source: Readable, stages: Transform[], key: Buffer, binding: string): Promise<void> {
    let failure: Error | undefined;
    const encrypt = encryptStream(key, binding);
    pipeline([source, ...stages, encrypt], (err) => {
      if (err) failure ??= err;
    });
    await this.storage.put(objectKey, encrypt).catch((err: unknown) => {
      throw failure ?? err;
    });
    if (failure) throw failure;
  }

  private async remove(keys: string[]): Promise<void> {
    await Promise.all(keys.map((k) => this.storage.delete(k).catch(() => undefined)));
  }
}

/** Keyed hash of a file's bytes under the owner's data key (proves integrity, confirms no guessed file). */
function contentHmac(target: SealingTarget): Hmac {
  return createHmac('sha256', target.key).update(`${target.hashLabel}|`);
}

/** A pass-through stage that counts and hashes what flows through it. */
function measure(hmac: Hmac): { stage: Transform; bytes: () => number; digest: () => Buffer } {
  let bytes = 0;
  const stage = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      hmac.update(chunk);
      cb(null, chunk);
    },
  });
  return { stage, bytes: () => bytes, digest: () => hmac.digest() };
}
