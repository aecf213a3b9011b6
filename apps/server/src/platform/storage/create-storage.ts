import type { Config } from '../../config.js';
import { LocalObjectStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { S3ObjectStorage } from './s3-storage.js';

/** The configured attachment store: S3-compatible when ATTACHMENT_STORAGE=s3 (or S3_BUCKET is set), else a local directory. */
export function createObjectStorage(config: Config): ObjectStorage {
  if (config.attachmentStorage === 's3') {
    return new S3ObjectStorage({
      bucket: config.s3Bucket!,
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      ...(config.s3AccessKeyId ? { accessKeyId: config.s3AccessKeyId } : {}),
      ...(config.s3SecretAccessKey ? { secretAccessKey: config.s3SecretAccessKey } : {}),
    });
  }
  return new LocalObjectStorage(config.attachmentDir);
}
