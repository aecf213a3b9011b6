/** http_ece (RFC 8188 / RFC 8291 encrypted content encoding; used by web-push): the part the tests use. */
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';
  export function decrypt(buffer: Buffer, params: { version: 'aes128gcm' | 'aesgcm'; privateKey?: ECDH; authSecret?: string | Buffer; dh?: string | Buffer; key?: string | Buffer }): Buffer;
  export function encrypt(buffer: Buffer, params: Record<string, unknown>): Buffer;
}
