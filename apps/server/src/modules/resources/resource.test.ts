import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { HavenClient, Resource } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

const MiB = 1024 * 1024;
const PDF = (extra = '') => Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n${extra}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);

let server: TestServer;
let p: Practice;
let other: Practice;

before(async () => {
  server = await startTestServer({ attachmentMaxBytes: 1 * MiB });
  [p, other] = await Promise.all([createPractice(server, 'res'), createPractice(server, 'res2')]);
});
after(() => server.stop());

/** Every stored object under the attachment directory (temporary files aside). */
function storedFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? (name === '.tmp' ? [] : walk(full)) : [full];
    });
  return walk(server.config.attachmentDir);
}
const objectPath = (key: string): string => path.join(server.config.attachmentDir, ...key.split('/'));

async function fileResource(client: HavenClient, title: string, data: Buffer, fileName: string, contentType: string, extra: { description?: string; tags?: string[] } = {}): Promise<Resource> {
  const r = await client.call('resources.create', { body: { kind: 'file', title, ...extra } });
  assert.equal(r.file, null);
  return client.uploadResourceFile(r.id, { data, fileName, contentType });
}

const patientThread = (practice: Practice = p) => practice.patientA.client.call('threads.create', { body: { subject: 'Knee exercises', topic: 'other' } });

describe('the library', () => {
  test('create, read, update and archive a link and a file resource', async () => {
    const link = await p.provider.client.call('resources.create', {
      body: { kind: 'link', title: '  Knee   exercises  ', description: 'Ten minutes a day.\r\nNo pain.', tags: ['Knee', 'Physio', 'knee', '  Home  Exercise '], url: 'HTTPS://Example.ORG:443/knee?x=1#video' },
    });
    assert.equal(link.kind, 'link');
    assert.equal(link.title, 'Knee exercises');
    assert.equal(link.description, 'Ten minutes a day.\nNo pain.');
    assert.deepEqual(link.tags, ['knee', 'physio', 'home exercise']);
    assert.equal(link.url, 'https://example.org/knee?x=1#video');
    assert.equal(link.file, null);
    assert.equal(link.createdBy, p.provider.id);
    assert.deepEqual(await p.nurse.client.call('resources.get', { params: { resourceId: link.id } }), link);

    const pdf = PDF('knee leaflet');
    const file = await fileResource(p.provider.client, 'Knee leaflet', pdf, '../../Knee leaflet.exe', 'application/pdf', { tags: ['knee'] });
    assert.deepEqual(file.file, { fileName: 'Knee leaflet.pdf', contentType: 'application/pdf', size: pdf.length, hasPreview: false });
    const got = await p.nurse.client.downloadResourceFile(file.id);
    assert.deepEqual(Buffer.from(got.bytes), pdf);
    assert.equal(got.fileName, 'Knee leaflet.pdf');
    assert.match(got.headers.get('content-disposition')!, /^attachment;/);
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(got.headers.get('content-security-policy'), "default-src 'none'; sandbox");

    const renamed = await p.provider.client.call('resources.update', { params: { resourceId: link.id }, body: { title: 'Knee exercises (new)', url: 'http://example.org/knee-v2', tags: ['knee'] } });
    assert.equal(renamed.title, 'Knee exercises (new)');
    assert.equal(renamed.url, 'http://example.org/knee-v2');
    assert.deepEqual(renamed.tags, ['knee']);
    assert.equal(renamed.description, link.description, 'fields not sent stay as they were');
    assert.ok(renamed.updatedAt >= link.updatedAt);
    // An admin may edit anyone's resource; a file resource has no url.
    await p.admin.client.call('resources.update', { params: { resourceId: file.id }, body: { description: 'Checked by the admin' } });
    await rejects(p.provider.client.call('resources.update', { params: { resourceId: file.id }, body: { url: 'https://example.org' } }), 400, 'validation_failed');
    await rejects(p.provider.client.call('resources.update', { params: { resourceId: link.id }, body: { title: ' \u200b ' } }), 400, 'validation_failed');
    // A link has no file; a file resource is created without a url.
    await rejects(p.provider.client.uploadResourceFile(link.id, { data: PDF(), fileName: 'x.pdf', contentType: 'application/pdf' }), 409, 'conflict');
    await rejects(p.provider.client.call('resources.create', { body: { kind: 'file', title: 'x', url: 'https://example.org' } }), 400, 'validation_failed');
    await rejects(p.provider.client.call('resources.create', { body: { kind: 'link', title: 'x' } }), 400, 'validation_failed');

    await p.provider.client.call('resources.archive', { params: { resourceId: link.id } });
    await rejects(p.provider.client.call('resources.get', { params: { resourceId: link.id } }), 404, 'not_found');
    await rejects(p.provider.client.call('resources.update', { params: { resourceId: link.id }, body: { title: 'back' } }), 404, 'not_found');
    await rejects(p.provider.client.call('resources.archive', { params: { resourceId: link.id } }), 404, 'not_found');
    const listed = await p.provider.client.call('resources.list', { query: { tag: ['knee'] } });
    assert.ok(!listed.items.some((r) => r.id === link.id), 'archived resources leave the library');
    assert.ok(listed.items.some((r) => r.id === file.id));
  });

  test('a file resource goes through the attachment checks: type from the bytes, size limit, cleaned images, encrypted at rest', async () => {
    const r = await p.provider.client.call('resources.create', { body: { kind: 'file', title: 'Exercise photo' } });
    await rejects(p.provider.client.uploadResourceFile(r.id, { data: Buffer.from('<script>alert(1)</script>'), fileName: 'x.png', contentType: 'image/png' }), 415, 'attachment_type_mismatch');
    await rejects(p.provider.client.uploadResourceFile(r.id, { data: Buffer.from('MZ\x90\x00'), fileName: 'setup.exe', contentType: 'application/x-msdownload' }), 415, 'attachment_type_not_allowed');
    await assert.rejects(p.provider.client.uploadResourceFile(r.id, { data: Buffer.concat([PDF(), Buffer.alloc(2 * MiB)]), fileName: 'big.pdf', contentType: 'application/pdf' }), (e: { status?: number }) => e.status === 413);
    assert.equal((await p.provider.client.call('resources.get', { params: { resourceId: r.id } })).file, null, 'refused uploads store nothing');

    const canary = `exif-canary-${randomBytes(6).toString('hex')}`;
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: 'blue' } }).jpeg().withExif({ IFD0: { ImageDescription: canary } }).toBuffer();
    const withPhoto = await p.provider.client.uploadResourceFile(r.id, { data: jpeg, fileName: 'squat.jpg', contentType: 'image/jpeg' });
    assert.equal(withPhoto.file?.hasPreview, true);
    const back = Buffer.from((await p.provider.client.downloadResourceFile(r.id)).bytes);
    assert.equal((await sharp(back).metadata()).exif, undefined, 'metadata removed');
    assert.ok(!back.includes(canary));

    // Replacing the file removes the old objects; storage holds ciphertext only.
    const row = async () => (await server.sql<{ storage_key: string; preview_storage_key: string | null }>('select storage_key, preview_storage_key from resources where id = $1', [r.id])).rows[0]!;
    const first = await row();
    const textCanary = `text-canary-${randomBytes(8).toString('hex')}`;
    await p.provider.client.uploadResourceFile(r.id, { data: Buffer.from(`${textCanary}\n`.repeat(100)), fileName: 'squat.txt', contentType: 'text/plain' });
    const second = await row();
    assert.notEqual(second.storage_key, first.storage_key);
    assert.equal(second.preview_storage_key, null);
    const files = storedFiles();
    assert.ok(!files.includes(objectPath(first.storage_key)) && !files.includes(objectPath(first.preview_storage_key!)), 'the replaced file is deleted');
    assert.ok(files.includes(objectPath(second.storage_key)));
    for (const f of files) assert.ok(!readFileSync(f).includes(textCanary), 'no plaintext in storage');
    assert.ok(Buffer.from((await p.nurse.client.downloadResourceFile(r.id)).bytes).includes(textCanary), 'positive control');
  });

  test('search: words in title, description or tags, any case and accents; tag and kind filters; cursor pages', async () => {
    const word = `zq${randomBytes(3).toString('hex')}`;
    const make = (title: string, description: string, tags: string[], url = 'https://example.org/r') =>
      p.nurse.client.call('resources.create', { body: { kind: 'link', title, description, tags, url } });
    const a = await make(`Übungen für das Knie ${word}`, 'Dehnen', ['physio']);
    const b = await make(`Breathing ${word}`, 'For ANXIETY and panic', ['mental health', 'physio']);
    const c = await make('Diet sheet', `low salt ${word.toUpperCase()}`, ['nutrition']);
    const d = await make('Sleep hygiene', 'Evening routine', [word]);
    const e = await fileResource(p.nurse.client, `Printable ${word}`, PDF(), 'print.pdf', 'application/pdf', { tags: ['physio'] });
    const f = await p.nurse.client.call('resources.create', { body: { kind: 'file', title: `No bytes yet ${word}` } });
    const search = async (query: { q?: string; tag?: string[]; kind?: 'file' | 'link' }) =>
      (await p.provider.client.call('resources.list', { query: { ...query, limit: 200 } })).items.map((r) => r.id);

    assert.deepEqual(new Set(await search({ q: word })), new Set([a.id, b.id, c.id, d.id, e.id]), 'title, description and tags; a file without bytes is not in the library yet');
    assert.ok(!(await search({ q: word })).includes(f.id));
    assert.deepEqual(await search({ q: `UBUNGEN ${word}` }), [a.id], 'case and accents do not matter; every word must match');
    assert.deepEqual(await search({ q: `anxiety ${word}` }), [b.id]);
    assert.deepEqual(await search({ q: `${word} mental` }), [b.id], 'tags are searched as words too');
    assert.deepEqual(new Set(await search({ q: word, tag: ['Physio'] })), new Set([a.id, b.id, e.id]));
    assert.deepEqual(await search({ q: word, tag: ['physio', 'mental health'] }), [b.id], 'every tag must be present');
    assert.deepEqual(await search({ q: word, kind: 'file' }), [e.id]);
    assert.deepEqual(await search({ q: '100%_' }), [], 'LIKE wildcards are taken literally');
    assert.deepEqual(await search({ q: `${word} nothing-like-this` }), []);

    // Pages of two, newest first, without gaps or repeats.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await p.provider.client.call('resources.list', { query: { q: word, limit: 2, ...(cursor ? { cursor } : {}) } });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    assert.deepEqual(seen, [e.id, d.id, c.id, b.id, a.id]);
    assert.equal(pages, 3);
    await rejects(p.provider.client.call('resources.list', { query: { cursor: 'bm90LWEtY3Vyc29y' } }), 400, 'validation_failed');
    // The search words never reach the audit trail.
    const events = await p.compliance.client.call('audit.list', { query: { action: 'resources.list', limit: 200 } });
    assert.ok(events.items.length > 0);
    assert.ok(!JSON.stringify(events).includes(word));
  });

  test('links: only http and https, refused with a clear error; normalized', async () => {
    const create = (url: string) => p.provider.client.call('resources.create', { body: { kind: 'link', title: 'Link', url } });
    for (const url of [
      'javascript:alert(document.cookie)',
      'JavaScript:alert(1)',
      ' javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'ftp://files.example.org/leaflet.pdf',
      'file:///etc/passwd',
      'vbscript:msgbox(1)',
      'mailto:clinic@example.org',
      '//example.org/no-scheme',
      '/relative/path',
      'https://user:secret@example.org/',
      'https://clinic.example.org@evil.example/',
      'https://exa mple.org/',
      'https://example.org/\u0000',
      'http://',
    ]) {
      const err = await create(url).then(
        () => assert.fail(`${JSON.stringify(url)} was accepted`),
        (e: { status: number; code: string; problem: { detail?: string; errors?: { path: string }[] } }) => e,
      );
      assert.equal(err.status, 400, url);
      assert.equal(err.code, 'invalid_link', url);
      assert.ok(err.problem.detail && err.problem.detail.length > 10, `a clear detail for ${url}`);
      assert.deepEqual(err.problem.errors?.map((x) => x.path), ['/url']);
    }
    const problem = await create('javascript:alert(1)').then(
      () => assert.fail('accepted'),
      (e: { problem: { detail: string } }) => e.problem,
    );
    assert.match(problem.detail, /only http and https/i);
    assert.equal((await create('https://Bücher.Example/Ä?q=ü')).url, 'https://xn--bcher-kva.example/%C3%84?q=%C3%BC');
    assert.equal((await create('http://example.org')).url, 'http://example.org/');
    assert.equal((await create('https://example.org:8443/a/../b')).url, 'https://example.org:8443/b');
    const link = await create('https://example.org/a');
    await rejects(p.provider.client.call('resources.update', { params: { resourceId: link.id }, body: { url: 'data:,x' } }), 400, 'invalid_link');
    assert.equal((await p.provider.client.call('resources.get', { params: { resourceId: link.id } })).url, 'https://example.org/a');
  });
});

describe('who may use the library', () => {
  test('patients and compliance cannot browse it; only the creator or an admin edits; other organizations see nothing', async () => {
    const mine = await p.provider.client.call('resources.create', { body: { kind: 'link', title: 'Provider link', url: 'https://example.org/p' } });
    for (const c of [p.patientA.client, p.compliance.client]) {
      await rejects(c.call('resources.list'), 403, 'forbidden');
      await rejects(c.call('resources.get', { params: { resourceId: mine.id } }), 403, 'forbidden');
      await rejects(c.call('resources.get', { params: { resourceId: uuid() } }), 403, 'forbidden');
      await rejects(c.call('resources.create', { body: { kind: 'link', title: 'x', url: 'https://example.org' } }), 403, 'forbidden');
      await rejects(c.downloadResourceFile(mine.id), 403, 'forbidden');
    }
    // Staff see it but only its creator (or an admin) changes it.
    await p.nurse.client.call('resources.get', { params: { resourceId: mine.id } });
    await rejects(p.nurse.client.call('resources.update', { params: { resourceId: mine.id }, body: { title: 'Hijacked' } }), 403, 'forbidden');
    await rejects(p.otherProvider.client.call('resources.archive', { params: { resourceId: mine.id } }), 403, 'forbidden');
    // Another organization's id and a made-up id answer the same 404.
    for (const c of [other.provider.client, other.admin.client]) {
      const problemOf = (call: Promise<unknown>) => call.then(() => assert.fail('accepted'), (e: { problem: Record<string, unknown> }) => e.problem);
      const real = await problemOf(c.call('resources.get', { params: { resourceId: mine.id } }));
      const forged = await problemOf(c.call('resources.get', { params: { resourceId: uuid() } }));
      assert.equal(real.status, 404);
      assert.deepEqual({ ...real, requestId: null }, { ...forged, requestId: null });
      await rejects(c.call('resources.update', { params: { resourceId: mine.id }, body: { title: 'x' } }), 404, 'not_found');
      await rejects(c.call('resources.archive', { params: { resourceId: mine.id } }), 404, 'not_found');
      assert.ok(!(await c.call('resources.list', { query: { limit: 200 } })).items.some((r) => r.id === mine.id));
    }
    assert.equal((await p.admin.client.call('resources.update', { params: { resourceId: mine.id }, body: { title: 'Edited by admin' } })).title, 'Edited by admin');
    await p.provider.client.call('resources.archive', { params: { resourceId: mine.id } });
  });
});

describe('sharing into a thread', () => {
  test('a file resource arrives as an attachment copy: the patient downloads the same bytes, and the share survives the resource', async () => {
    const t = await patientThread();
    const bytes = PDF(`home exercise plan ${randomBytes(8).toString('hex')}`);
    const r = await fileResource(p.provider.client, 'Home exercise plan', bytes, 'plan.pdf', 'application/pdf', { tags: ['knee'] });
    const id = uuid();
    const message = await p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id, text: 'Here is the plan we discussed' } });
    assert.equal(message.id, id);
    assert.equal(message.senderId, p.provider.id);
    assert.equal(message.body, 'Here is the plan we discussed');
    assert.equal(message.link, null);
    assert.equal(message.attachments.length, 1);
    const copy = message.attachments[0]!;
    assert.deepEqual({ ...copy, id: null }, { id: null, fileName: 'plan.pdf', contentType: 'application/pdf', size: bytes.length, status: 'ready', hasPreview: false });

    // The patient sees an ordinary message with an ordinary attachment, and downloads the same bytes.
    const seen = (await p.patientA.client.call('messages.list', { params: { threadId: t.id } })).items.find((m) => m.id === id)!;
    assert.deepEqual(seen.attachments, [copy]);
    const got = await p.patientA.client.downloadAttachment(t.id, id, copy.id);
    assert.deepEqual(Buffer.from(got.bytes), bytes);
    assert.equal(got.fileName, 'plan.pdf');
    const listed = await p.patientA.client.call('attachments.list', { params: { threadId: t.id, messageId: id } });
    assert.equal(listed.items[0]!.uploaderId, p.provider.id);
    assert.equal(listed.items[0]!.linked, true);

    // A copy under the patient's record: its own stored object, never the library's.
    const [att, res] = await Promise.all([
      server.sql<{ storage_key: string; key_id: string }>('select storage_key, key_id from attachments where id = $1', [copy.id]),
      server.sql<{ storage_key: string; key_id: string }>('select storage_key, key_id from resources where id = $1', [r.id]),
    ]);
    assert.notEqual(att.rows[0]!.storage_key, res.rows[0]!.storage_key);
    assert.notEqual(att.rows[0]!.key_id, res.rows[0]!.key_id);
    const patientKey = await server.sql<{ id: string }>(`select id from data_keys where patient_id = $1 and purpose = 'patient'`, [p.patientA.id]);
    assert.equal(att.rows[0]!.key_id, patientKey.rows[0]!.id);

    // Replacing and archiving the resource changes nothing in the thread.
    await p.provider.client.uploadResourceFile(r.id, { data: PDF('a newer version'), fileName: 'plan-v2.pdf', contentType: 'application/pdf' });
    await p.provider.client.call('resources.archive', { params: { resourceId: r.id } });
    assert.deepEqual(Buffer.from((await p.patientA.client.downloadAttachment(t.id, id, copy.id)).bytes), bytes);
    assert.deepEqual((await p.nurse.client.call('messages.get', { params: { threadId: t.id, messageId: id } })).attachments, [copy]);
    // An archived resource cannot be shared again; a retry of the share made before still answers that share.
    await rejects(p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id: uuid() } }), 404, 'not_found');
    const retried = await p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id, text: 'Here is the plan we discussed' } });
    assert.deepEqual([retried.id, retried.attachments], [id, [copy]]);
  });

  test('an image resource keeps its preview in the copy', async () => {
    const t = await patientThread();
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: 'green' } }).jpeg().toBuffer();
    const r = await fileResource(p.nurse.client, 'Stretch', jpeg, 'stretch.jpg', 'image/jpeg');
    const m = await p.nurse.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id: uuid() } });
    assert.equal(m.body, 'Stretch', 'without text, the message says the title');
    assert.equal(m.attachments[0]!.hasPreview, true);
    const preview = await p.patientA.client.downloadAttachment(t.id, m.id, m.attachments[0]!.id, 'preview');
    assert.equal((await sharp(Buffer.from(preview.bytes)).metadata()).format, 'webp');
  });

  test('a link resource arrives as a structured link the message keeps, encrypted, whatever happens to the resource', async () => {
    const t = await patientThread();
    const canary = `link-canary-${randomBytes(6).toString('hex')}`;
    const r = await p.provider.client.call('resources.create', { body: { kind: 'link', title: 'Breathing video', url: `https://video.example.org/${canary}` } });
    const m = await p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id: uuid() } });
    assert.deepEqual(m.link, { url: `https://video.example.org/${canary}`, title: 'Breathing video' });
    assert.equal(m.body, 'Breathing video');
    assert.deepEqual(m.attachments, []);
    const seen = await p.patientA.client.call('messages.get', { params: { threadId: t.id, messageId: m.id } });
    assert.deepEqual(seen.link, m.link);
    // The link is part of the patient's record: ciphertext in the database.
    const row = await server.sql<{ link_ct: Buffer }>('select link_ct from messages where id = $1', [m.id]);
    assert.ok(row.rows[0]!.link_ct.length > 0 && !row.rows[0]!.link_ct.includes(canary));
    await p.provider.client.call('resources.update', { params: { resourceId: r.id }, body: { url: 'https://video.example.org/changed', title: 'Changed' } });
    await p.provider.client.call('resources.archive', { params: { resourceId: r.id } });
    assert.deepEqual((await p.patientA.client.call('messages.list', { params: { threadId: t.id } })).items.find((x) => x.id === m.id)!.link, m.link);
    // Ordinary messages carry no link, and clients cannot set one.
    const plain = await p.patientA.client.call('messages.create', { params: { threadId: t.id }, body: { id: uuid(), body: 'Thanks!' } });
    assert.equal(plain.link, null);
    const forged = await fetch(`${server.url}/api/v1/threads/${t.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.patientA.client.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: uuid(), body: 'x', link: { url: 'javascript:alert(1)', title: 'x' } }),
    });
    assert.equal(forged.status, 400);
  });

  test('a retried share never duplicates; the same id with another text, resource or thread is 409', async () => {
    const t = await patientThread();
    const r = await fileResource(p.provider.client, 'Retry leaflet', PDF('retry'), 'retry.pdf', 'application/pdf');
    const link = await p.provider.client.call('resources.create', { body: { kind: 'link', title: 'Retry link', url: 'https://example.org/retry' } });
    const id = uuid();
    const share = (body: { id: string; text?: string }, resourceId = r.id, threadId = t.id, client = p.provider.client) =>
      client.call('resources.share', { params: { threadId, resourceId }, body });
    const raw = async (body: unknown) =>
      fetch(`${server.url}/api/v1/threads/${t.id}/resources/${r.id}/share`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.provider.client.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const first = await raw({ id, text: 'For your knee' });
    assert.equal(first.status, 201);
    const firstMessage = (await first.json()) as { id: string; attachments: { id: string }[]; createdAt: string };
    const again = await raw({ id, text: 'For your knee' });
    assert.equal(again.status, 200, 'a retry answers 200 with the message made the first time');
    const againMessage = (await again.json()) as typeof firstMessage;
    assert.equal(againMessage.id, firstMessage.id);
    assert.equal(againMessage.createdAt, firstMessage.createdAt);
    assert.deepEqual(againMessage.attachments, firstMessage.attachments);
    // Concurrent retries too.
    const burst = await Promise.all(Array.from({ length: 6 }, () => share({ id, text: 'For your knee' })));
    assert.ok(burst.every((m) => m.id === id && m.attachments.length === 1 && m.attachments[0]!.id === firstMessage.attachments[0]!.id));

    await rejects(share({ id, text: 'Something else' }), 409, 'idempotency_conflict');
    await rejects(share({ id }), 409, 'idempotency_conflict');
    await rejects(share({ id, text: 'For your knee' }, link.id), 409, 'idempotency_conflict');
    const t2 = await patientThread();
    await rejects(share({ id, text: 'For your knee' }, r.id, t2.id), 409, 'idempotency_conflict');
    await rejects(share({ id, text: 'For your knee' }, r.id, t.id, p.nurse.client), 409, 'idempotency_conflict');
    // An id already used by an ordinary message is not taken over either.
    const plain = await p.provider.client.call('messages.create', { params: { threadId: t.id }, body: { id: uuid(), body: 'Retry leaflet' } });
    await rejects(share({ id: plain.id }), 409, 'idempotency_conflict');

    const counts = await server.sql<{ messages: number; attachments: number }>(
      `select (select count(*) from messages where id = any($1::uuid[]))::int as messages, (select count(*) from attachments where message_id = any($1::uuid[]))::int as attachments`,
      [[id, plain.id]],
    );
    assert.deepEqual(counts.rows[0], { messages: 2, attachments: 1 });
    const history = await p.patientA.client.call('messages.list', { params: { threadId: t.id } });
    assert.equal(history.items.filter((m) => m.id === id).length, 1);

    // Concurrent first attempts of one share make one message with one copy.
    const fresh = uuid();
    const racing = await Promise.allSettled(Array.from({ length: 5 }, () => share({ id: fresh, text: 'Race' })));
    assert.ok(racing.every((x) => x.status === 'fulfilled'), JSON.stringify(racing.filter((x) => x.status === 'rejected')));
    const raced = await server.sql<{ n: number }>('select count(*)::int as n from attachments where message_id = $1', [fresh]);
    assert.equal(raced.rows[0]!.n, 1);
    assert.equal((await p.nurse.client.call('messages.get', { params: { threadId: t.id, messageId: fresh } })).attachments.length, 1);
  });

  test('a share cut off before its message is completed by the retry, with one copy', async () => {
    const t = await patientThread();
    const r = await fileResource(p.provider.client, 'Interrupted', PDF('interrupted'), 'interrupted.pdf', 'application/pdf');
    const id = uuid();
    // Make the first attempt fail after the copy was attached, before the message (as a crash would).
    const messages = server.services.messages as unknown as { send: (...a: unknown[]) => Promise<unknown> };
    const original = messages.send;
    messages.send = async () => {
      throw new Error('simulated crash before the message');
    };
    try {
      await rejects(p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id } }), 500, 'internal_error');
    } finally {
      messages.send = original;
    }
    assert.deepEqual((await p.patientA.client.call('messages.list', { params: { threadId: t.id } })).items, []);
    const m = await p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id } });
    assert.equal(m.attachments.length, 1);
    const n = await server.sql<{ n: number }>('select count(*)::int as n from attachments where message_id = $1', [id]);
    assert.equal(n.rows[0]!.n, 1, 'the retry reused the copy made by the first attempt');
  });

  test('who may share where: the thread decides (404), the library role decides (403)', async () => {
    const t = await patientThread();
    const r = await fileResource(p.provider.client, 'Who shares', PDF(), 'who.pdf', 'application/pdf');
    const share = (c: HavenClient, threadId = t.id, resourceId = r.id) => c.call('resources.share', { params: { threadId, resourceId }, body: { id: uuid() } });
    await rejects(share(p.otherProvider.client), 404, 'not_found');
    await rejects(share(p.admin.client), 404, 'not_found');
    await rejects(share(other.provider.client), 404, 'not_found');
    await rejects(share(p.patientA.client), 403, 'forbidden');
    await rejects(share(p.compliance.client), 403, 'forbidden');
    // A forged resource id, another organization's resource, a file resource without bytes: nothing is sent.
    const foreign = await other.provider.client.call('resources.create', { body: { kind: 'link', title: 'Org 2 link', url: 'https://example.org/2' } });
    await rejects(share(p.provider.client, t.id, uuid()), 404, 'not_found');
    await rejects(share(p.provider.client, t.id, foreign.id), 404, 'not_found');
    const empty = await p.provider.client.call('resources.create', { body: { kind: 'file', title: 'Empty' } });
    await rejects(share(p.provider.client, t.id, empty.id), 409, 'conflict');
    assert.deepEqual((await p.provider.client.call('messages.list', { params: { threadId: t.id } })).items, []);
    // The care team (provider and nurse) may; so may staff in an internal thread.
    await share(p.nurse.client);
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Handout', participantIds: [p.nurse.id] } });
    const m = await share(p.nurse.client, internal.id);
    assert.equal((await p.provider.client.downloadAttachment(internal.id, m.id, m.attachments[0]!.id)).bytes.length, PDF().length);
  });

  test('shares are audited with ids (resource, thread, message, patient) and the copy as an attachment upload', async () => {
    const t = await patientThread();
    const r = await fileResource(p.provider.client, 'Audited leaflet', PDF(), 'audited.pdf', 'application/pdf');
    const m = await p.provider.client.call('resources.share', { params: { threadId: t.id, resourceId: r.id }, body: { id: uuid() } });
    const events = (await p.compliance.client.call('audit.list', { query: { patientId: p.patientA.id, limit: 200 } })).items;
    const share = events.find((e) => e.action === 'resources.share' && e.details.messageId === m.id)!;
    assert.deepEqual([share.actorId, share.resourceId, share.details.threadId, share.details.replayed], [p.provider.id, r.id, t.id, false]);
    const upload = events.find((e) => e.action === 'attachments.upload' && e.resourceId === m.attachments[0]!.id)!;
    assert.equal(upload.details.via, 'resources.share');
    assert.ok(events.some((e) => e.action === 'messages.create' && e.resourceId === m.id));
    const library = (await p.compliance.client.call('audit.list', { query: { actorId: p.provider.id, limit: 200 } })).items.filter((e) => e.resourceId === r.id).map((e) => e.action);
    assert.ok(library.includes('resources.create') && library.includes('resources.upload') && library.includes('resources.share'));
  });
});
