import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import S3rver from 's3rver';
import type { HavenClient } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

const MiB = 1024 * 1024;
const PDF = (extra = '') => Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n${extra}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** A JPEG carrying GPS coordinates, a description canary and a "rotate 90°" orientation in its EXIF. */
async function jpegWithGps(canary: string): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { ImageDescription: canary }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 1234/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } })
    .toBuffer();
}

/** A body the client streams chunk by chunk (sent chunked: no Content-Length). */
function streamed(total: number, first: Buffer, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  const filler = Buffer.alloc(chunk, 0x41);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const part = sent === 0 ? first : filler.subarray(0, Math.min(chunk, total - sent));
      sent += part.length;
      controller.enqueue(new Uint8Array(part));
    },
  });
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** A stand-in clamd speaking the INSTREAM protocol: reports the EICAR test string as malware. */
async function fakeClamd(): Promise<{ server: Server; port: number; scans: number }> {
  const state = { scans: 0 };
  const server = createServer((socket) => {
    let buf = Buffer.alloc(0);
    let started = false;
    let content = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!started) {
        const end = buf.indexOf(0);
        if (end < 0) return;
        if (buf.subarray(0, end).toString() !== 'zINSTREAM') return void socket.end('UNKNOWN COMMAND\0');
        started = true;
        buf = buf.subarray(end + 1);
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (len === 0) {
          state.scans++;
          socket.end(content.includes(EICAR) ? 'stream: Eicar-Test-Signature FOUND\0' : 'stream: OK\0');
          return;
        }
        if (buf.length < 4 + len) return;
        content = Buffer.concat([content, buf.subarray(4, 4 + len)]);
        buf = buf.subarray(4 + len);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, { server, port });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let local: TestServer;
let p: Practice;
let other: Practice;
let s3server: S3rver;
let s3dir: string;
let s3: TestServer;
let ps3: Practice;
let s3client: S3Client;
const BUCKET = 'haven-attachments';

before(async () => {
  s3dir = mkdtempSync(path.join(tmpdir(), 'haven-s3rver-'));
  s3server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await s3server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // s3rver accepts its well-known local credentials.
  const creds = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  s3client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: creds });
  [local, s3] = await Promise.all([
    startTestServer({ attachmentMaxBytes: 60 * MiB }),
    startTestServer({ attachmentStorage: 's3', s3Bucket: BUCKET, s3Endpoint: endpoint, s3ForcePathStyle: true, s3AccessKeyId: creds.accessKeyId, s3SecretAccessKey: creds.secretAccessKey, attachmentMaxBytes: 60 * MiB }),
  ]);
  [p, other, ps3] = await Promise.all([createPractice(local, 'att'), createPractice(local, 'att2'), createPractice(s3, 'atts3')]);
});
after(async () => {
  await Promise.all([local?.stop(), s3?.stop()]);
  s3client?.destroy();
  await s3server?.close();
  rmSync(s3dir, { recursive: true, force: true });
});

async function thread(practice: Practice, subject = 'Rash on my arm') {
  return practice.patientA.client.call('threads.create', { body: { subject, topic: 'other' } });
}

async function send(client: HavenClient, threadId: string, id: string, body = 'See attached') {
  return client.call('messages.create', { params: { threadId }, body: { id, body } });
}

// ---------------------------------------------------------------------------------------------------------------
// The same behaviour on both storage backends.

interface Backend {
  name: string;
  server: () => TestServer;
  practice: () => Practice;
  /** Every stored object's bytes. */
  objects: () => Promise<Buffer[]>;
  /** Replaces the stored bytes of an object. */
  tamper: (key: string, fn: (b: Buffer) => Buffer) => Promise<void>;
}

const backends: Backend[] = [
  {
    name: 'local directory',
    server: () => local,
    practice: () => p,
    objects: async () => filesUnder(local.config.attachmentDir).map((f) => readFileSync(f)),
    tamper: async (key, fn) => {
      const file = path.join(local.config.attachmentDir, ...key.split('/'));
      writeFileSync(file, fn(readFileSync(file)));
    },
  },
  {
    name: 'S3 (s3rver)',
    server: () => s3,
    practice: () => ps3,
    objects: async () => {
      const out: Buffer[] = [];
      const list = await s3client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      for (const o of list.Contents ?? []) {
        const got = await s3client.send(new GetObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
        out.push(Buffer.from(await got.Body!.transformToByteArray()));
      }
      return out;
    },
    tamper: async (key, fn) => {
      const got = await s3client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const bytes = fn(Buffer.from(await got.Body!.transformToByteArray()));
      await s3client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
    },
  },
];

for (const backend of backends) {
  describe(`attachments on ${backend.name}`, () => {
    test('round trip: the patient uploads a PDF, the care team downloads the same bytes with safe headers', async () => {
      const pr = backend.practice();
      const t = await thread(pr);
      const messageId = uuid();
      const pdf = PDF('% lab results');
      const att = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: pdf, fileName: 'Lab results März.pdf', contentType: 'application/pdf' });
      assert.equal(att.status, 'ready');
      assert.equal(att.contentType, 'application/pdf');
      assert.equal(att.size, pdf.length);
      assert.equal(att.fileName, 'Lab results März.pdf');
      assert.equal(att.hasPreview, false);
      assert.equal(att.linked, false);
      await send(pr.patientA.client, t.id, messageId);
      const got = await pr.nurse.client.downloadAttachment(t.id, messageId, att.id);
      assert.deepEqual(Buffer.from(got.bytes), pdf);
      assert.equal(got.fileName, 'Lab results März.pdf');
      assert.equal(got.contentType, 'application/pdf');
      assert.match(got.headers.get('content-disposition')!, /^attachment; filename="Lab results M_rz\.pdf"; filename\*=UTF-8''Lab%20results%20M%C3%A4rz\.pdf$/);
      assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(got.headers.get('content-security-policy'), "default-src 'none'; sandbox");
      assert.equal(got.headers.get('cache-control'), 'no-store');
      const list = await pr.provider.client.call('attachments.list', { params: { threadId: t.id, messageId } });
      assert.deepEqual(list.items.map((a) => [a.id, a.linked]), [[att.id, true]]);
    });

    test('a 12 MB file streamed without Content-Length arrives intact (multipart on S3)', async () => {
      const pr = backend.practice();
      const t = await thread(pr);
      const messageId = uuid();
      const head = PDF();
      const total = 12 * MiB;
      const att = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: streamed(total, head), fileName: 'scan.pdf', contentType: 'application/pdf' });
      assert.equal(att.size, total);
      const got = await pr.patientA.client.downloadAttachment(t.id, messageId, att.id);
      assert.equal(got.bytes.length, total);
      assert.deepEqual(Buffer.from(got.bytes.subarray(0, head.length)), head);
      assert.ok(Buffer.from(got.bytes.subarray(head.length)).every((b) => b === 0x41));
    });

    test('images lose EXIF and GPS, are turned upright, and get an encrypted WebP preview', async () => {
      const pr = backend.practice();
      const t = await thread(pr);
      const messageId = uuid();
      const canary = `exif-canary-${randomBytes(6).toString('hex')}`;
      const jpeg = await jpegWithGps(canary);
      const before = await sharp(jpeg).metadata();
      assert.ok(before.exif?.includes(Buffer.from([0x25, 0x88])), 'the test image carries a GPS IFD');
      const att = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: jpeg, fileName: 'rash.jpg', contentType: 'image/jpeg' });
      assert.equal(att.hasPreview, true);
      const got = await pr.patientA.client.downloadAttachment(t.id, messageId, att.id);
      const meta = await sharp(Buffer.from(got.bytes)).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.equal(meta.exif, undefined);
      assert.equal(meta.xmp, undefined);
      assert.deepEqual([meta.width, meta.height], [32, 64], 'rotated by its EXIF orientation');
      assert.ok(!Buffer.from(got.bytes).includes(canary));
      const preview = await pr.patientA.client.downloadAttachment(t.id, messageId, att.id, 'preview');
      assert.equal(preview.contentType, 'image/webp');
      const pm = await sharp(Buffer.from(preview.bytes)).metadata();
      assert.equal(pm.format, 'webp');
      assert.ok((pm.width ?? 0) <= 320 && (pm.height ?? 0) <= 320);
      assert.equal(pm.exif, undefined);
      // A PDF has no preview.
      const pdf = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: PDF(), fileName: 'a.pdf', contentType: 'application/pdf' });
      await rejects(pr.patientA.client.downloadAttachment(t.id, messageId, pdf.id, 'preview'), 404, 'not_found');
    });

    test('encrypted at rest: canary bytes, file names and preview pixels never appear in storage', async () => {
      const pr = backend.practice();
      const t = await thread(pr);
      const messageId = uuid();
      const canary = `canary-${randomBytes(12).toString('hex')}`;
      const nameCanary = `name-canary-${randomBytes(6).toString('hex')}`;
      await pr.patientA.client.uploadAttachment(t.id, messageId, { data: PDF(canary.repeat(50)), fileName: `${nameCanary}.pdf`, contentType: 'application/pdf' });
      await pr.patientA.client.uploadAttachment(t.id, messageId, { data: Buffer.from(`${canary}\n`.repeat(5000)), fileName: 'notes.txt', contentType: 'text/plain' });
      const objects = await backend.objects();
      assert.ok(objects.length >= 2);
      for (const o of objects) {
        assert.ok(!o.includes(canary), 'no plaintext canary in a stored object');
        assert.ok(!o.includes(nameCanary));
        assert.ok(!o.includes('%PDF'));
      }
      // Positive control: the canary is what the API returns.
      const [txt] = (await pr.patientA.client.call('attachments.list', { params: { threadId: t.id, messageId } })).items.filter((a) => a.fileName === 'notes.txt');
      const got = await pr.patientA.client.downloadAttachment(t.id, messageId, txt!.id);
      assert.ok(Buffer.from(got.bytes).includes(canary));
      // The database holds the name only as ciphertext.
      const rows = await backend.server().sql<{ file_name_ct: Buffer }>(`select file_name_ct from attachments where message_id = $1`, [messageId]);
      assert.ok(rows.rows.every((r: { file_name_ct: Buffer }) => !r.file_name_ct.includes(nameCanary)));
    });

    test('a tampered or truncated stored file is an integrity error, never wrong bytes', async () => {
      const pr = backend.practice();
      const srv = backend.server();
      const t = await thread(pr);
      const messageId = uuid();
      const small = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: PDF('small'), fileName: 'small.pdf', contentType: 'application/pdf' });
      const large = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: streamed(1 * MiB, PDF()), fileName: 'large.pdf', contentType: 'application/pdf' });
      const truncated = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: streamed(1 * MiB, PDF()), fileName: 'cut.pdf', contentType: 'application/pdf' });
      const keyOf = async (id: string) => (await srv.sql<{ storage_key: string }>('select storage_key from attachments where id = $1', [id])).rows[0]!.storage_key;

      await backend.tamper(await keyOf(small.id), (b) => {
        b[b.length - 20]! ^= 0x01;
        return b;
      });
      await rejects(pr.patientA.client.downloadAttachment(t.id, messageId, small.id), 500, 'integrity_error');

      // Past the first chunk the answer has started: the transfer is cut before the bad chunk, never completed.
      await backend.tamper(await keyOf(large.id), (b) => {
        b[b.length - 1000]! ^= 0x80;
        return b;
      });
      await assert.rejects(pr.patientA.client.downloadAttachment(t.id, messageId, large.id));

      // Cut at a chunk boundary (header 43 bytes, frames of 64 KiB + 16): the missing final chunk is detected.
      await backend.tamper(await keyOf(truncated.id), (b) => b.subarray(0, 43 + 3 * (64 * 1024 + 16)));
      await assert.rejects(pr.patientA.client.downloadAttachment(t.id, messageId, truncated.id));

      // Swapping two stored files (both of this patient, same key) fails too: each is bound to its own row.
      const a = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: PDF('a'), fileName: 'a.pdf', contentType: 'application/pdf' });
      const b = await pr.patientA.client.uploadAttachment(t.id, messageId, { data: PDF('b'), fileName: 'b.pdf', contentType: 'application/pdf' });
      await srv.sql('update attachments set storage_key = $2 where id = $1', [a.id, await keyOf(b.id)]);
      await rejects(pr.patientA.client.downloadAttachment(t.id, messageId, a.id), 500, 'integrity_error');
    });

    test('a refused upload stores nothing', async () => {
      const pr = backend.practice();
      const t = await thread(pr);
      const messageId = uuid();
      const before = (await backend.objects()).length;
      await rejects(pr.patientA.client.uploadAttachment(t.id, messageId, { data: Buffer.from('#!/bin/sh\nrm -rf ~\n'), fileName: 'cute-cat.png', contentType: 'image/png' }), 415, 'attachment_type_mismatch');
      await rejects(pr.patientA.client.uploadAttachment(t.id, messageId, { data: Buffer.concat([Buffer.from('plain start '), randomBytes(2000)]), fileName: 'x.txt', contentType: 'text/plain' }), 415, 'attachment_type_mismatch');
      assert.equal((await backend.objects()).length, before);
      const rows = await backend.server().sql('select count(*)::int as n from attachments where message_id = $1', [messageId]);
      assert.equal(rows.rows[0]!.n, 0);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------

describe('type checking', () => {
  test('the type comes from the bytes: a script named .png, a disallowed type and a PDF/HTML polyglot are refused', async () => {
    const t = await thread(p);
    const m = uuid();
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('<script>alert(document.cookie)</script>'), fileName: 'photo.png', contentType: 'image/png' }), 415, 'attachment_type_mismatch');
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('MZ\x90\x00binary'), fileName: 'setup.exe', contentType: 'application/x-msdownload' }), 415, 'attachment_type_not_allowed');
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('<svg onload="alert(1)"/>'), fileName: 'x.svg', contentType: 'image/svg+xml' }), 415, 'attachment_type_not_allowed');
    // A real PNG declared as a PDF: the declared and the actual type differ.
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'white' } }).png().toBuffer();
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: png, fileName: 'x.pdf', contentType: 'application/pdf' }), 415, 'attachment_type_mismatch');
    // A PDF signature followed by an HTML page.
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('%PDF-1.4\n<html><body><script>fetch("/api/v1/threads")</script></body></html>'), fileName: 'doc.pdf', contentType: 'application/pdf' }), 415, 'attachment_type_mismatch');
    // No Content-Type at all: the declaration is required.
    const res = await fetch(`${local.url}/api/v1/threads/${t.id}/messages/${m}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${p.patientA.client.token}` }, body: new Uint8Array(PDF()) });
    const problem = (await res.json()) as { code: string };
    assert.equal(res.status, 400, JSON.stringify(problem));
    assert.equal(problem.code, 'validation_failed');
  });

  test('a JPEG/ZIP polyglot is accepted as the image it starts with, and re-encoding drops the ZIP', async () => {
    const t = await thread(p);
    const m = uuid();
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: 'green' } }).jpeg().toBuffer();
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('payload.html<script>alert(1)</script>'), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    const att = await p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.concat([jpeg, zip]), fileName: 'pic.jpg', contentType: 'image/jpeg' });
    const got = Buffer.from((await p.patientA.client.downloadAttachment(t.id, m, att.id)).bytes);
    assert.equal((await sharp(got).metadata()).format, 'jpeg');
    assert.ok(!got.includes(Buffer.from('PK\x03\x04', 'latin1')));
    assert.ok(!got.includes('<script>'));
  });

  test('plain text must be UTF-8 without control characters; aliases of declared types are understood', async () => {
    const t = await thread(p);
    const m = uuid();
    const txt = await p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('Blood pressure log\n120/80 — ok\n'), fileName: 'bp', contentType: 'text/plain; charset=utf-8' });
    assert.equal(txt.contentType, 'text/plain');
    assert.equal(txt.fileName, 'bp.txt');
    const got = await p.patientA.client.downloadAttachment(t.id, m, txt.id);
    assert.equal(got.contentType, 'text/plain; charset=utf-8');
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('abc\u0000def'), fileName: 'a.txt', contentType: 'text/plain' }), 415, 'attachment_type_mismatch');
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'white' } }).jpeg().toBuffer();
    const img = await p.patientA.client.uploadAttachment(t.id, m, { data: jpeg, fileName: 'IMG_0001.JPG', contentType: 'image/jpg' });
    assert.equal(img.contentType, 'image/jpeg');
    assert.equal(img.fileName, 'IMG_0001.jpg');
  });
});

describe('file names', () => {
  test('path components, control characters, bidi overrides and lying extensions are neutralized', async () => {
    const t = await thread(p);
    const m = uuid();
    const cases: [string, string][] = [
      ['../../etc/passwd', 'passwd.pdf'],
      ['..\\..\\windows\\system32\\x', 'x.pdf'],
      ['report\u0000.exe', 'report.pdf'],
      ['invoice\u202Efdp.exe', 'invoicefdp.pdf'],
      ['CON.pdf', '_CON.pdf'],
      ['  .hidden.pdf  ', 'hidden.pdf'],
      ['', 'attachment.pdf'],
    ];
    for (const [raw, expected] of cases) {
      const att = await p.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: raw, contentType: 'application/pdf' });
      assert.equal(att.fileName, expected, JSON.stringify(raw));
    }
    const stored = await local.sql<{ storage_key: string }>('select storage_key from attachments where message_id = $1', [m]);
    assert.ok(stored.rows.every((r: { storage_key: string }) => /^[0-9a-f-]{36}\/[0-9a-f-]{36}$/.test(r.storage_key)), 'object keys never come from names');
  });
});

describe('limits', () => {
  test('413 before reading when Content-Length is over the limit, and as soon as a chunked body passes it; nothing stored', async () => {
    const small = await startTestServer({ attachmentMaxBytes: 1 * MiB });
    try {
      const pr = await createPractice(small, 'attlim');
      const t = await thread(pr);
      const m = uuid();
      // Declared too large: the answer comes from the headers alone, while the client has sent only 64 KiB of 2 MiB.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${small.url}/api/v1/threads/${t.id}/messages/${m}/attachments`, {
          method: 'POST',
          headers: { authorization: `Bearer ${pr.patientA.client.token}`, 'content-type': 'application/pdf', 'content-length': String(2 * MiB) },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body });
            req.destroy();
          });
        });
        req.on('error', reject);
        req.write(Buffer.concat([PDF(), Buffer.alloc(64 * 1024)]));
      });
      assert.equal(answer.status, 413);
      assert.equal((JSON.parse(answer.body) as { code: string }).code, 'payload_too_large');
      // Chunked (no Content-Length), and much larger than the limit: stopped at the limit. The server answers 413 and
      // closes the connection while the client is still sending, so the client sees either the 413 or the reset,
      // whichever its socket reports first; either way the upload is refused and nothing is stored (checked below).
      await refusedAsOversize(pr.patientA.client.uploadAttachment(t.id, m, { data: streamed(20 * MiB, PDF()), fileName: 'big.pdf', contentType: 'application/pdf' }));
      // An image over the limit as well.
      await refusedAsOversize(pr.patientA.client.uploadAttachment(t.id, m, { data: streamed(2 * MiB, await jpegWithGps('x')), fileName: 'big.jpg', contentType: 'image/jpeg' }));
      const files = filesUnder(small.config.attachmentDir).filter((f) => !f.includes(`${path.sep}.tmp${path.sep}`));
      assert.deepEqual(files, []);
      assert.deepEqual(filesUnder(path.join(small.config.attachmentDir, '.tmp')), []);
      assert.equal((await small.sql('select count(*)::int as n from attachments')).rows[0]!.n, 0);
      // Right at the limit is fine.
      const ok = await pr.patientA.client.uploadAttachment(t.id, m, { data: streamed(1 * MiB, PDF()), fileName: 'ok.pdf', contentType: 'application/pdf' });
      assert.equal(ok.size, 1 * MiB);
    } finally {
      await small.stop();
    }
  });

  test('at most 10 attachments per message and uploader', async () => {
    const t = await thread(p);
    const m = uuid();
    await Promise.all(Array.from({ length: 10 }, (_, i) => p.patientA.client.uploadAttachment(t.id, m, { data: PDF(String(i)), fileName: `${i}.pdf`, contentType: 'application/pdf' })));
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: '11.pdf', contentType: 'application/pdf' }), 409, 'attachment_limit_reached');
    const list = await p.patientA.client.call('attachments.list', { params: { threadId: t.id, messageId: m } });
    assert.equal(list.items.length, 10);
  });

  test('a 50 MB streamed upload keeps server memory bounded', async (ctx) => {
    const t = await thread(p);
    const m = uuid();
    const total = 50 * MiB;
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const att = await p.patientA.client.uploadAttachment(t.id, m, { data: streamed(total, PDF()), fileName: 'video-notes.pdf', contentType: 'application/pdf' });
      assert.equal(att.size, total);
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - base) / MiB;
    ctx.diagnostic(`RSS growth during the 50 MiB upload: ${growth.toFixed(1)} MiB`);
    // Client and server share this process; the whole file would be > 50 MB (and its ciphertext as much again).
    assert.ok(growth < 40, `RSS grew by ${growth.toFixed(1)} MiB during a 50 MiB upload`);
  });
});

describe('who sees what', () => {
  test('other patients, staff off the care team and other organizations get 404', async () => {
    const t = await thread(p);
    const m = uuid();
    const att = await p.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'a.pdf', contentType: 'application/pdf' });
    await send(p.patientA.client, t.id, m);
    await p.nurse.client.downloadAttachment(t.id, m, att.id);
    for (const c of [p.patientB.client, p.otherProvider.client, p.compliance.client, p.admin.client, other.patientA.client, other.provider.client]) {
      await rejects(c.downloadAttachment(t.id, m, att.id), 404, 'not_found');
      await rejects(c.downloadAttachment(t.id, m, att.id, 'preview'), 404, 'not_found');
      await rejects(c.call('attachments.list', { params: { threadId: t.id, messageId: m } }), 404, 'not_found');
      await rejects(c.uploadAttachment(t.id, m, { data: PDF(), fileName: 'x.pdf', contentType: 'application/pdf' }), 404, 'not_found');
    }
    // A thread of another patient with this attachment's ids: still 404.
    const tb = await p.patientB.client.call('threads.create', { body: { subject: 'Mine', topic: 'other' } });
    await rejects(p.patientB.client.downloadAttachment(tb.id, m, att.id), 404, 'not_found');
  });

  test('a pending upload is visible only to its uploader until the message is sent by them', async () => {
    const t = await thread(p);
    const m = uuid();
    const att = await p.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'a.pdf', contentType: 'application/pdf' });
    assert.deepEqual((await p.nurse.client.call('attachments.list', { params: { threadId: t.id, messageId: m } })).items, []);
    await rejects(p.nurse.client.downloadAttachment(t.id, m, att.id), 404, 'not_found');
    assert.equal((await p.patientA.client.call('attachments.list', { params: { threadId: t.id, messageId: m } })).items[0]!.linked, false);
    await p.patientA.client.downloadAttachment(t.id, m, att.id);
    await send(p.patientA.client, t.id, m);
    assert.equal((await p.nurse.client.call('attachments.list', { params: { threadId: t.id, messageId: m } })).items[0]!.linked, true);
    // The message itself now carries it, for everyone who sees the message.
    const history = await p.nurse.client.call('messages.list', { params: { threadId: t.id } });
    assert.deepEqual(history.items.find((x) => x.id === m)!.attachments.map((a) => a.id), [att.id]);
  });

  test("uploading to someone else's message id, or to a message in another thread, is refused", async () => {
    const t = await thread(p);
    const m = uuid();
    await send(p.provider.client, t.id, m, 'Please send a photo');
    await rejects(p.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'a.pdf', contentType: 'application/pdf' }), 409, 'conflict');
    const t2 = await thread(p, 'Another');
    await rejects(p.provider.client.uploadAttachment(t2.id, m, { data: PDF(), fileName: 'a.pdf', contentType: 'application/pdf' }), 409, 'conflict');
    // The sender may add to their own message afterwards.
    const att = await p.provider.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'leaflet.pdf', contentType: 'application/pdf' });
    assert.equal(att.linked, true);
  });

  test("a retracted message's attachments are hidden from the patient and kept for staff", async () => {
    const t = await thread(p);
    const m = uuid();
    const att = await p.provider.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'wrong-patient.pdf', contentType: 'application/pdf' });
    await send(p.provider.client, t.id, m, 'Your results');
    await p.patientA.client.downloadAttachment(t.id, m, att.id);
    await p.provider.client.call('messages.retract', { params: { threadId: t.id, messageId: m }, body: { reason: 'wrong file' } });
    await rejects(p.patientA.client.downloadAttachment(t.id, m, att.id), 404, 'not_found');
    assert.deepEqual((await p.patientA.client.call('attachments.list', { params: { threadId: t.id, messageId: m } })).items, []);
    await p.nurse.client.downloadAttachment(t.id, m, att.id);
    await rejects(p.provider.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'b.pdf', contentType: 'application/pdf' }), 409, 'conflict');
  });
});

describe('attachments in message responses', () => {
  test('the send answer, the history and a single message carry the attachments (metadata only)', async () => {
    const t = await thread(p);
    const m = uuid();
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'white' } }).jpeg().toBuffer();
    const photo = await p.patientA.client.uploadAttachment(t.id, m, { data: jpeg, fileName: 'rash.jpg', contentType: 'image/jpeg' });
    const pdf = await p.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'referral.pdf', contentType: 'application/pdf' });
    const expected = [
      { id: photo.id, fileName: 'rash.jpg', contentType: 'image/jpeg', size: photo.size, status: 'ready', hasPreview: true },
      { id: pdf.id, fileName: 'referral.pdf', contentType: 'application/pdf', size: pdf.size, status: 'ready', hasPreview: false },
    ];
    const sent = await send(p.patientA.client, t.id, m, 'Photo and referral attached');
    assert.deepEqual(sent.attachments, expected);
    assert.equal(sent.link, null);
    // A retry of the send answers the same message, attachments included.
    assert.deepEqual((await send(p.patientA.client, t.id, m, 'Photo and referral attached')).attachments, expected);
    const plain = await send(p.provider.client, t.id, uuid(), 'Thanks, looking at it');
    assert.deepEqual(plain.attachments, []);
    for (const c of [p.patientA.client, p.nurse.client, p.provider.client]) {
      const history = await c.call('messages.list', { params: { threadId: t.id } });
      assert.deepEqual(history.items.map((x) => x.attachments), [[], expected]);
      assert.deepEqual((await c.call('messages.get', { params: { threadId: t.id, messageId: m } })).attachments, expected);
    }
    // The edit answer carries them too.
    const edited = await p.patientA.client.call('messages.edit', { params: { threadId: t.id, messageId: m }, body: { body: 'Photo and referral (edited)' } });
    assert.deepEqual(edited.attachments, expected);
    // Nothing of the bytes or their keys travels with the message.
    assert.deepEqual(Object.keys(sent.attachments[0]!).sort(), ['contentType', 'fileName', 'hasPreview', 'id', 'size', 'status']);
  });

  test('only the sender\'s uploads for the id are the message\'s attachments; other people\'s pending uploads stay theirs', async () => {
    const t = await thread(p);
    const m = uuid();
    // The nurse uploads for an id that patient A then uses for a message: that file never becomes part of it.
    const nurseFile = await p.nurse.client.uploadAttachment(t.id, m, { data: PDF('nurse'), fileName: 'nurse.pdf', contentType: 'application/pdf' });
    const mine = await p.patientA.client.uploadAttachment(t.id, m, { data: PDF('mine'), fileName: 'mine.pdf', contentType: 'application/pdf' });
    const sent = await send(p.patientA.client, t.id, m);
    assert.deepEqual(sent.attachments.map((a) => a.id), [mine.id]);
    for (const c of [p.nurse.client, p.provider.client, p.patientA.client]) {
      const got = await c.call('messages.get', { params: { threadId: t.id, messageId: m } });
      assert.deepEqual(got.attachments.map((a) => a.id), [mine.id], 'an unlinked upload is never shown as part of a message');
    }
    // The nurse still sees their own (unlinked) upload in the attachment list, nobody else does.
    const nurseList = await p.nurse.client.call('attachments.list', { params: { threadId: t.id, messageId: m } });
    assert.deepEqual(nurseList.items.map((a) => [a.id, a.linked]).sort(), [[mine.id, true], [nurseFile.id, false]].sort());
    const providerList = await p.provider.client.call('attachments.list', { params: { threadId: t.id, messageId: m } });
    assert.deepEqual(providerList.items.map((a) => a.id), [mine.id]);
  });

  test("a retracted message's attachments disappear for the patient with the message and stay for staff", async () => {
    const t = await thread(p);
    const m = uuid();
    const att = await p.provider.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'other-patient.pdf', contentType: 'application/pdf' });
    await send(p.provider.client, t.id, m, 'Your results');
    assert.deepEqual((await p.patientA.client.call('messages.get', { params: { threadId: t.id, messageId: m } })).attachments.map((a) => a.id), [att.id]);
    const retracted = await p.provider.client.call('messages.retract', { params: { threadId: t.id, messageId: m }, body: { reason: 'wrong patient' } });
    assert.deepEqual(retracted.attachments.map((a) => a.id), [att.id], 'the retract answer (staff) keeps them');
    const patientView = await p.patientA.client.call('messages.list', { params: { threadId: t.id } });
    assert.ok(!patientView.items.some((x) => x.id === m), 'the message is gone for the patient');
    assert.ok(!JSON.stringify(patientView).includes(att.id), 'and so is every trace of its attachment');
    await rejects(p.patientA.client.call('messages.get', { params: { threadId: t.id, messageId: m } }), 404, 'not_found');
    await rejects(p.patientA.client.downloadAttachment(t.id, m, att.id), 404, 'not_found');
    const staffView = await p.nurse.client.call('messages.list', { params: { threadId: t.id } });
    const kept = staffView.items.find((x) => x.id === m)!;
    assert.equal(kept.retracted, true);
    assert.deepEqual(kept.attachments.map((a) => a.id), [att.id]);
    assert.deepEqual((await p.nurse.client.call('messages.get', { params: { threadId: t.id, messageId: m } })).attachments.map((a) => a.id), [att.id]);
  });

  test('quarantined and rejected files show their scan state in the message', async () => {
    const clamd = await fakeClamd();
    const srv = await startTestServer({ clamavHost: '127.0.0.1', clamavPort: clamd.port });
    try {
      const pr = await createPractice(srv, 'attmsgscan');
      const t = await thread(pr);
      const m = uuid();
      await new Promise<void>((r) => clamd.server.close(() => r()));
      const waiting = await pr.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('notes\n'), fileName: 'notes.txt', contentType: 'text/plain' });
      const sent = await send(pr.patientA.client, t.id, m);
      assert.deepEqual(sent.attachments.map((a) => [a.id, a.status]), [[waiting.id, 'pending_scan']]);
      const seen = await pr.nurse.client.call('messages.get', { params: { threadId: t.id, messageId: m } });
      assert.equal(seen.attachments[0]!.status, 'pending_scan');
      await rejects(pr.nurse.client.downloadAttachment(t.id, m, waiting.id), 409, 'attachment_not_ready');
    } finally {
      await srv.stop();
      clamd.server.close();
    }
  });

  test('a page of history reads all its attachments in one query, however many messages carry files', async () => {
    const t = await thread(p);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const m = uuid();
      ids.push(m);
      await p.patientA.client.uploadAttachment(t.id, m, { data: PDF(String(i)), fileName: `page-${i}.pdf`, contentType: 'application/pdf' });
      await send(p.patientA.client, t.id, m, `file ${i}`);
    }
    // Count the attachment module's queries while the history is read (the real store, wrapped).
    const store = (local.services.attachments as unknown as { store: { ofMessages: (...a: unknown[]) => Promise<unknown> } }).store;
    const original = store.ofMessages;
    let calls = 0;
    store.ofMessages = function (this: unknown, ...a: unknown[]) {
      calls++;
      return original.apply(this, a);
    };
    try {
      const page = await p.nurse.client.call('messages.list', { params: { threadId: t.id }, query: { limit: 12 } });
      assert.equal(page.items.length, 12);
      assert.ok(page.items.every((x) => x.attachments.length === 1));
      assert.deepEqual(page.items.map((x) => x.attachments[0]!.fileName).reverse(), ids.map((_, i) => `page-${i}.pdf`));
    } finally {
      store.ofMessages = original;
    }
    assert.equal(calls, 1);
  });
});

describe('audit and logs', () => {
  test('uploads, lists, downloads and previews are audited with ids only; names never reach audit or logs', async () => {
    const t = await thread(p);
    const m = uuid();
    const secretName = `Diagnosis-${randomBytes(5).toString('hex')}`;
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'white' } }).jpeg().toBuffer();
    const att = await p.patientA.client.uploadAttachment(t.id, m, { data: jpeg, fileName: `${secretName}.jpg`, contentType: 'image/jpeg' });
    await send(p.patientA.client, t.id, m);
    await p.nurse.client.call('attachments.list', { params: { threadId: t.id, messageId: m } });
    await p.nurse.client.downloadAttachment(t.id, m, att.id);
    await p.nurse.client.downloadAttachment(t.id, m, att.id, 'preview');
    const events = await p.compliance.client.call('audit.list', { query: { patientId: p.patientA.id, limit: 200 } });
    const mine = events.items.filter((e) => e.resourceId === att.id || (e.action === 'attachments.list' && e.resourceId === m));
    assert.deepEqual(mine.map((e) => [e.action, e.actorId]).sort(), [
      ['attachments.download', p.nurse.id],
      ['attachments.list', p.nurse.id],
      ['attachments.preview', p.nurse.id],
      ['attachments.upload', p.patientA.id],
    ].sort());
    for (const e of mine) assert.deepEqual(Object.keys(e.details).sort(), e.action === 'attachments.upload' ? ['messageId', 'status', 'threadId'] : e.action === 'attachments.list' ? ['returned', 'threadId'] : ['messageId', 'threadId']);
    assert.ok(!JSON.stringify(events).includes(secretName));
    assert.ok(!local.logs.join('\n').includes(secretName));
  });
});

describe('malware scanning', () => {
  test('uploads wait in quarantine until clamd has scanned them; infected files are rejected and deleted', async () => {
    const clamd = await fakeClamd();
    const srv = await startTestServer({ clamavHost: '127.0.0.1', clamavPort: clamd.port });
    try {
      const pr = await createPractice(srv, 'attscan');
      const t = await thread(pr);
      const m = uuid();
      const clean = await pr.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from('just my notes\n'), fileName: 'notes.txt', contentType: 'text/plain' });
      const infected = await pr.patientA.client.uploadAttachment(t.id, m, { data: Buffer.from(`${EICAR}\n`), fileName: 'eicar.txt', contentType: 'text/plain' });
      assert.equal(clean.status, 'pending_scan');
      assert.equal(infected.status, 'pending_scan');
      await send(pr.patientA.client, t.id, m);
      const statusOf = async (id: string) => (await pr.nurse.client.call('attachments.list', { params: { threadId: t.id, messageId: m } })).items.find((a) => a.id === id)!.status;
      await waitFor(async () => ((await statusOf(clean.id)) === 'ready' ? true : undefined), 'clean scan');
      await waitFor(async () => ((await statusOf(infected.id)) === 'rejected' ? true : undefined), 'infected scan');
      assert.equal(clamd.scans, 2);
      assert.equal(Buffer.from((await pr.nurse.client.downloadAttachment(t.id, m, clean.id)).bytes).toString(), 'just my notes\n');
      await rejects(pr.nurse.client.downloadAttachment(t.id, m, infected.id), 409, 'attachment_rejected');
      const row = await srv.sql('select storage_key from attachments where id = $1', [infected.id]);
      assert.equal(row.rows[0]!.storage_key, null);
      assert.equal(filesUnder(srv.config.attachmentDir).filter((f) => !f.includes('.tmp')).length, 1, 'only the clean file remains');
      const events = await pr.compliance.client.call('audit.list', { query: { action: 'attachments.scan' } });
      assert.deepEqual(events.items.map((e) => [e.resourceId, e.outcome]).sort(), [[clean.id, 'success'], [infected.id, 'failure']].sort());

      // While clamd is down, uploads stay quarantined (not downloadable).
      await new Promise<void>((r) => clamd.server.close(() => r()));
      const waiting = await pr.patientA.client.uploadAttachment(t.id, m, { data: PDF(), fileName: 'later.pdf', contentType: 'application/pdf' });
      await new Promise((r) => setTimeout(r, 300));
      await rejects(pr.patientA.client.downloadAttachment(t.id, m, waiting.id), 409, 'attachment_not_ready');
    } finally {
      await srv.stop();
      clamd.server.close();
    }
  });
});

/** A 413 payload_too_large, or the connection reset the server's early answer can cause mid-upload; nothing else. */
async function refusedAsOversize(upload: Promise<unknown>): Promise<void> {
  const error = await upload.then(
    () => assert.fail('an oversize upload was accepted'),
    (e: unknown) => e as { status?: number; code?: string; cause?: { code?: string } },
  );
  if (error.status !== undefined) {
    assert.equal(error.status, 413);
    assert.equal(error.code, 'payload_too_large');
  } else {
    assert.ok(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(error.cause?.code ?? ''), `unexpected failure: ${String((error as Error).message)} (${error.cause?.code})`);
  }
}
