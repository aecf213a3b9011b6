import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { IntegrityError } from './aead.js';
import { CHUNK_SIZE, decryptStream, encryptStream, encryptedSize } from './stream-aead.js';

const key = randomBytes(32);
const HEADER = 43;
const FRAME = CHUNK_SIZE + 16;

/** Feeds `data` in pieces of `piece` bytes, to exercise chunk boundaries that do not match the frames. */
const source = (data: Buffer, piece = 10_000) => Readable.from((function* () { for (let i = 0; i < data.length; i += piece) yield data.subarray(i, i + piece); })(), { objectMode: false });
const encrypt = (data: Buffer, binding = 'b') => buffer(source(data).pipe(encryptStream(key, binding)));
const decrypt = (data: Buffer, binding = 'b') => buffer(source(data, 7_777).pipe(decryptStream(key, binding)));

describe('chunked AES-256-GCM file encryption', () => {
  test('round trips empty, small, exact-multiple and uneven sizes; the size formula holds', async () => {
    for (const n of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE, 3 * CHUNK_SIZE + 12345]) {
      const plain = randomBytes(n);
      const sealed = await encrypt(plain);
      assert.equal(sealed.length, encryptedSize(n), `size of ${n}`);
      assert.deepEqual(await decrypt(sealed), plain, `round trip of ${n}`);
    }
  });

  test('two encryptions of the same bytes differ (fresh salt and nonce prefix)', async () => {
    const plain = randomBytes(1000);
    assert.notDeepEqual(await encrypt(plain), await encrypt(plain));
  });

  test('a flipped bit, reordered or dropped chunks, truncation, appended bytes, another binding or key: IntegrityError', async () => {
    const plain = randomBytes(3 * CHUNK_SIZE + 500);
    const sealed = await encrypt(plain);
    const frames = (b: Buffer) => [b.subarray(0, HEADER), ...Array.from({ length: Math.ceil((b.length - HEADER) / FRAME) }, (_, i) => b.subarray(HEADER + i * FRAME, HEADER + (i + 1) * FRAME))];
    const [h, f0, f1, f2, f3] = frames(sealed) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    const flipped = Buffer.from(sealed);
    flipped[HEADER + FRAME + 100]! ^= 1;
    const variants: [string, Buffer, string?][] = [
      ['bit flip', flipped],
      ['header flip', Buffer.concat([Buffer.from([h[0]! ^ 1]), h.subarray(1), f0, f1, f2, f3])],
      ['salt flip', Buffer.concat([h.subarray(0, 10), Buffer.from([h[10]! ^ 1]), h.subarray(11), f0, f1, f2, f3])],
      ['reordered', Buffer.concat([h, f1, f0, f2, f3])],
      ['dropped middle chunk', Buffer.concat([h, f0, f2, f3])],
      ['truncated at a chunk boundary', Buffer.concat([h, f0, f1, f2])],
      ['truncated mid-chunk', sealed.subarray(0, sealed.length - 100)],
      ['header only', h],
      ['nothing', Buffer.alloc(0)],
      ['appended bytes', Buffer.concat([sealed, Buffer.from('x')])],
      ['appended final chunk', Buffer.concat([sealed, f3])],
      ['other binding', sealed, 'other'],
    ];
    for (const [name, data, binding] of variants) {
      await assert.rejects(decrypt(data, binding ?? 'b'), IntegrityError, name);
    }
    await assert.rejects(buffer(source(sealed).pipe(decryptStream(randomBytes(32), 'b'))), IntegrityError, 'other key');
  });

  test('nothing of a bad chunk is released: output stops before it', async () => {
    const plain = randomBytes(4 * CHUNK_SIZE);
    const sealed = await encrypt(plain);
    sealed[HEADER + 2 * FRAME + 5]! ^= 1;
    const got: Buffer[] = [];
    await assert.rejects(async () => {
      for await (const c of source(sealed).pipe(decryptStream(key, 'b'))) got.push(c as Buffer);
    }, IntegrityError);
    const out = Buffer.concat(got);
    assert.ok(out.length <= 2 * CHUNK_SIZE);
    assert.deepEqual(out, plain.subarray(0, out.length));
  });
});
