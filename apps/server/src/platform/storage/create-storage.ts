import type { Config } from '../../config.js';
import { LocalObjectStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';

/** The configured attachment store: S3-compatible when ATTACHMENT_STORAGE=s3 (or S3_BUCKET is set), else a local directory. */
export function createObjectStorage(config: Config): ObjectStorage {
  if (config.attachmentStorage === 's3') {
    // The AWS SDK loads on first use, not at startup (it costs ~200 ms of cold start), and only when S3 is configured.
    return lazyStorage(async () => {
      const { S3ObjectStorage } = await import('./s3-storage.js');
      return new S3ObjectStorage({
      bucket: config.s3Bucket!,
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      ...(config.s3AccessKeyId ? { accessKeyId: config.s3AccessKeyId } : {}),
      ...(config.s3SecretAccessKey ? { secretAccessKey: config.s3SecretAccessKey } : {}),
      });
    });
  }
  return new LocalObjectStorage(config.attachmentDir);
}

function lazyStorage(load: () => Promise<ObjectStorage>): ObjectStorage {
  let inner: Promise<ObjectStorage> | undefined;
  const get = (): Promise<ObjectStorage> => (inner ??= load());
  return {
    kind: 's3',
    put: async (key, body) => (await get()).put(key, body),
    get: async (key) => (await get()).get(key),
    delete: async (key) => (await get()).delete(key),
  };
}
