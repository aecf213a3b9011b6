import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import type { HavenClient } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

const exec = promisify(execFile);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/haven.mjs');
const HOUR = 3_600_000;
const PDF = (extra = '') => Buffer.from(`%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n${extra}\ntrailer << /Root 1 0 R >>\n%%EOF\n`);

let server: TestServer;
let p: Practice;

before(async () => {
  // The server's own sweep is off here (0): these tests drive the purge with a clock of their own.
  server = await startTestServer({ attachmentOrphanHours: 0 });
  p = await createPractice(server, 'orphans');
});
after(() => server.stop());

interface Stored {
  storage_key: string | null;
  preview_storage_key: string | null;
  link_confirmed_at: Date | null;
}
const rowOf = async (srv: TestServer, id: string): Promise<Stored | undefined> =>
  (await srv.sql<Stored>('select storage_key, preview_storage_key, link_confirmed_at from attachments where id = $1', [id])).rows[0];
const objectExists = (srv: TestServer, key: string): boolean => existsSync(path.join(srv.config.attachmentDir, ...key.split('/')));

const upload = (c: HavenClient, threadId: string, messageId: string, name = 'file.pdf') =>
  c.uploadAttachment(threadId, messageId, { data: PDF(name), fileName: name, contentType: 'application/pdf' });
const send = (c: HavenClient, threadId: string, id: string) => c.call('messages.create', { params: { threadId }, body: { id, body: 'see attached' } });

describe('orphaned uploads', () => {
  test('uploads whose message never came are purged after the configured age; attachments of messages never are', async () => {
    const t = await p.patientA.client.call('threads.create', { body: { subject: 'Orphans', topic: 'other' } });
    const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: 'red' } }).jpeg().toBuffer();
    // Orphans: a PDF and an image (with a preview) whose message was never sent, and the nurse's upload for an id
    // that patient A then used for their own message (it can never become part of that message).
    const orphanPdf = await upload(p.patientA.client, t.id, uuid(), 'never-sent.pdf');
    const orphanImage = await p.patientA.client.uploadAttachment(t.id, uuid(), { data: jpeg, fileName: 'never-sent.jpg', contentType: 'image/jpeg' });
    const takenId = uuid();
    const nurseStray = await upload(p.nurse.client, t.id, takenId, 'stray.pdf');
    await send(p.patientA.client, t.id, takenId);
    // Kept: uploaded then sent; uploaded after the send; attached to a message that was then retracted.
    const sentLater = uuid();
    const linked = await upload(p.patientA.client, t.id, sentLater, 'linked.pdf');
    await send(p.patientA.client, t.id, sentLater);
    const sentFirst = uuid();
    await send(p.provider.client, t.id, sentFirst);
    const afterSend = await upload(p.provider.client, t.id, sentFirst, 'after-send.pdf');
    const retractedId = uuid();
    const ofRetracted = await upload(p.provider.client, t.id, retractedId, 'retracted.pdf');
    await send(p.provider.client, t.id, retractedId);
    await p.provider.client.call('messages.retract', { params: { threadId: t.id, messageId: retractedId }, body: {} });

    const orphans = [orphanPdf, orphanImage, nurseStray];
    const kept = [linked, afterSend, ofRetracted];
    const rows = new Map<string, Stored>();
    for (const a of [...orphans, ...kept]) rows.set(a.id, (await rowOf(server, a.id))!);
    assert.ok(rows.get(orphanImage.id)!.preview_storage_key, 'the image has a preview object');
    assert.ok(rows.get(afterSend.id)!.link_confirmed_at, 'an upload for a message already sent is confirmed at once');
    const objects = (id: string): string[] => [rows.get(id)!.storage_key, rows.get(id)!.preview_storage_key].filter((k): k is string => k !== null);
    for (const a of [...orphans, ...kept]) for (const k of objects(a.id)) assert.ok(objectExists(server, k), 'stored before the purge');

    // Not old enough yet: nothing happens to the orphans.
    const early = await server.services.attachments.purgeOrphans(24 * HOUR, new Date(Date.now() + 23 * HOUR));
    assert.equal(early.purged, 0);
    for (const a of orphans) assert.ok(await rowOf(server, a.id));

    // A day later, the purge removes them (objects first, then rows) and marks the linked ones.
    const result = await server.services.attachments.purgeOrphans(24 * HOUR, new Date(Date.now() + 25 * HOUR));
    assert.deepEqual({ purged: result.purged, failed: result.failed }, { purged: 3, failed: 0 });
    assert.ok(result.confirmed >= 2);
    for (const a of orphans) {
      assert.equal(await rowOf(server, a.id), undefined, 'the row is removed');
      for (const k of objects(a.id)) assert.ok(!objectExists(server, k), `the stored object ${k} is deleted`);
    }
    for (const a of kept) {
      const row = (await rowOf(server, a.id))!;
      assert.ok(row.link_confirmed_at, 'a linked attachment is marked, never purged');
      for (const k of objects(a.id)) assert.ok(objectExists(server, k));
    }
    assert.equal((await p.nurse.client.downloadAttachment(t.id, sentLater, linked.id)).bytes.length, PDF('linked.pdf').length);
    await p.nurse.client.downloadAttachment(t.id, retractedId, ofRetracted.id);
    await rejects(p.patientA.client.downloadAttachment(t.id, orphanPdf.messageId, orphanPdf.id), 404, 'not_found');

    // Audited, by the system, with ids only.
    const events = await p.compliance.client.call('audit.list', { query: { action: 'attachments.purge', limit: 50 } });
    const purged = events.items.filter((e) => orphans.some((a) => a.id === e.resourceId));
    assert.equal(purged.length, 3);
    for (const e of purged) {
      assert.equal(e.actorId, null);
      assert.equal(e.details.reason, 'orphaned');
      assert.equal(e.details.threadId, t.id);
      assert.ok(!JSON.stringify(e).includes('never-sent'));
    }
    // Marked attachments are not looked at again; the next sweep finds nothing.
    assert.deepEqual(await server.services.attachments.purgeOrphans(24 * HOUR, new Date(Date.now() + 48 * HOUR)), { purged: 0, confirmed: 0, failed: 0 });
    await server.services.audit.verify(p.orgId).then((v) => assert.equal(v.ok, true));
  });

  test('the server sweeps on its own, every fraction of the configured age', async () => {
    // One second: the sweep then runs every 250 ms.
    const srv = await startTestServer({ attachmentOrphanHours: 1 / 3600 });
    try {
      const pr = await createPractice(srv, 'orphantimer');
      const t = await pr.patientA.client.call('threads.create', { body: { subject: 'Timer', topic: 'other' } });
      const stray = await upload(pr.patientA.client, t.id, uuid(), 'stray.pdf');
      const keep = uuid();
      const linked = await upload(pr.patientA.client, t.id, keep, 'keep.pdf');
      await send(pr.patientA.client, t.id, keep);
      const key = (await rowOf(srv, stray.id))!.storage_key!;
      const deadline = Date.now() + 15_000;
      while ((await rowOf(srv, stray.id)) !== undefined) {
        if (Date.now() > deadline) assert.fail('the orphan was not purged by the server within 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(!objectExists(srv, key));
      // Give the sweep a few more rounds: the linked attachment stays.
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok((await rowOf(srv, linked.id))?.link_confirmed_at);
      await pr.nurse.client.downloadAttachment(t.id, keep, linked.id);
    } finally {
      await srv.stop();
    }
  });

  test('haven attachments purge-orphans', async () => {
    const t = await p.patientA.client.call('threads.create', { body: { subject: 'CLI', topic: 'other' } });
    const stray = await upload(p.patientA.client, t.id, uuid(), 'cli-stray.pdf');
    const keepId = uuid();
    const keep = await upload(p.patientA.client, t.id, keepId, 'cli-keep.pdf');
    await send(p.patientA.client, t.id, keepId);
    const key = (await rowOf(server, stray.id))!.storage_key!;
    const env = { ...process.env, DATABASE_URL: server.databaseUrl, HAVEN_MASTER_KEY: server.config.masterKey!, HAVEN_ENV: 'test', DATA_DIR: server.config.dataDir, ATTACHMENT_DIR: server.config.attachmentDir };

    // With the default age (24 h) these fresh uploads are left alone.
    const { stdout: none } = await exec(process.execPath, [BIN, 'attachments', 'purge-orphans'], { env });
    assert.match(none, /Purged 0 orphaned upload\(s\) older than 24 h/);
    assert.ok(await rowOf(server, stray.id));

    const { stdout } = await exec(process.execPath, [BIN, 'attachments', 'purge-orphans', '--older-than-hours', '0'], { env });
    assert.match(stdout, /Purged 1 orphaned upload\(s\) older than 0 h/);
    assert.equal(await rowOf(server, stray.id), undefined);
    assert.ok(!objectExists(server, key));
    assert.ok(await rowOf(server, keep.id));
    const bad = await exec(process.execPath, [BIN, 'attachments', 'purge-orphans', '--older-than-hours', 'soon'], { env }).catch((e: { code: number; stderr: string }) => e);
    assert.equal((bad as { code: number }).code, 2);
    assert.match((bad as { stderr: string }).stderr, /--older-than-hours/);
  });
});
