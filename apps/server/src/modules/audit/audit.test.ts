import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { addPatient, createOrganization, createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';
import { checkpointMessage } from './audit.chain.js';

const run = promisify(execFile);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/haven.mjs');

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'audited');
});
after(() => server.stop());

/** Disables the append-only trigger for one statement, as an attacker with database access could. */
async function tamper(statement: string, values: unknown[] = []) {
  await server.sql('alter table audit_events disable trigger audit_events_append_only');
  try {
    await server.sql(statement, values);
  } finally {
    await server.sql('alter table audit_events enable trigger audit_events_append_only');
  }
}

/** A separate organization (its own chain) with some activity, so each tamper test breaks only its own chain. */
async function chain(slug: string) {
  const { orgId, admin } = await createOrganization(server, slug);
  const team = await admin.client.call('careTeams.create', { body: { name: 'T' } });
  const pat = await addPatient(server, slug, admin.client, `Chain Patient ${slug}`, [team.id]);
  const thread = await pat.client.call('threads.create', { body: { subject: 'Chained', topic: 'other' } });
  for (let i = 0; i < 3; i++) await pat.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: `chained ${i}` } });
  const ok = await server.services.audit.verify(orgId);
  assert.equal(ok.ok, true, ok.reason ?? '');
  return { orgId, events: ok.eventsChecked };
}

describe('the audit trail', () => {
  test('every read and write of health information is recorded with actor, patient, address and outcome', async () => {
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Audit me', topic: 'other' } });
    const body = `secret-body-${uuid()}`;
    const m = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body } });
    await p.nurse.client.call('messages.list', { params: { threadId: thread.id } });
    await p.nurse.client.call('patients.get', { params: { id: p.patientA.id } });
    await p.nurse.client.call('messages.search', { body: { query: 'secret' } });

    const events = await p.compliance.client.call('audit.list', { query: { patientId: p.patientA.id, limit: 200 } });
    const byAction = (a: string) => events.items.filter((e) => e.action === a);
    const created = byAction('messages.create').find((e) => e.resourceId === m.id)!;
    assert.equal(created.actorId, p.patientA.id);
    assert.equal(created.actorRole, 'patient');
    assert.equal(created.patientId, p.patientA.id);
    assert.equal(created.outcome, 'success');
    assert.equal(created.address, '127.0.0.1');
    assert.ok(byAction('messages.list').some((e) => e.actorId === p.nurse.id && e.resourceId === thread.id));
    assert.ok(byAction('patients.get').some((e) => e.actorId === p.nurse.id));
    assert.ok(byAction('threads.create').some((e) => e.resourceId === thread.id));
    // The audit never carries message text.
    assert.ok(!JSON.stringify(events).includes(body));
    assert.ok(!JSON.stringify(events).includes('Audit me'));
  });

  test('filters by user, action and time, with cursor pagination; reading the audit is itself audited', async () => {
    const t0 = new Date(Date.now() - 1000).toISOString();
    await p.provider.client.call('patients.get', { params: { id: p.patientA.id } });
    const byUser = await p.compliance.client.call('audit.list', { query: { actorId: p.provider.id, action: 'patients.get', from: t0 } });
    assert.ok(byUser.items.length >= 1);
    assert.ok(byUser.items.every((e) => e.actorId === p.provider.id && e.action === 'patients.get' && e.at >= t0));
    const future = await p.compliance.client.call('audit.list', { query: { from: new Date(Date.now() + 3600_000).toISOString() } });
    assert.equal(future.items.length, 0);
    const page1 = await p.compliance.client.call('audit.list', { query: { limit: 5 } });
    const page2 = await p.compliance.client.call('audit.list', { query: { limit: 5, cursor: page1.nextCursor! } });
    assert.equal(page1.items.length, 5);
    assert.ok(page2.items[0]!.seq! < page1.items[4]!.seq!);
    const reads = await p.compliance.client.call('audit.list', { query: { action: 'audit.list', actorId: p.compliance.id } });
    assert.ok(reads.items.length >= 3);
  });

  test('only compliance reads the audit trail', async () => {
    for (const who of [p.admin, p.provider, p.nurse, p.patientA]) {
      await rejects(who.client.call('audit.list'), 403, 'forbidden');
      await rejects(who.client.call('audit.verify'), 403, 'forbidden');
    }
  });

  test('the table is append-only: UPDATE, DELETE and TRUNCATE are refused by the database', async () => {
    await assert.rejects(server.sql("update audit_events set action = 'x'"), /append-only/);
    await assert.rejects(server.sql('delete from audit_events'), /append-only/);
    await assert.rejects(server.sql('truncate audit_events'), /append-only/);
  });
});

describe('verification finds tampering and reports the first bad position', () => {
  test('an intact chain verifies through the API and the CLI', async () => {
    const r = await p.compliance.client.call('audit.verify');
    assert.equal(r.ok, true, r.reason ?? '');
    assert.ok(r.eventsChecked > 10);
    assert.equal(r.firstBadSeq, null);
  });

  test('an edited event', async () => {
    const { orgId } = await chain('tamper-edit');
    await tamper("update audit_events set address = '198.51.100.1' where org_id = $1 and seq = 4", [orgId]);
    const r = await server.services.audit.verify(orgId);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 4);
    assert.match(r.reason!, /modified/);
  });

  test('an edit that also recomputes the digest breaks the link', async () => {
    const { orgId } = await chain('tamper-digest');
    await tamper("update audit_events set digest = sha256(digest) where org_id = $1 and seq = 3", [orgId]);
    const r = await server.services.audit.verify(orgId);
    assert.equal(r.firstBadSeq, 3);
  });

  test('a deleted event', async () => {
    const { orgId } = await chain('tamper-delete');
    await tamper('delete from audit_events where org_id = $1 and seq = 5', [orgId]);
    const r = await server.services.audit.verify(orgId);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 5);
    assert.match(r.reason!, /missing/);
  });

  test('reordered events', async () => {
    const { orgId } = await chain('tamper-order');
    await tamper('update audit_events set seq = -1 where org_id = $1 and seq = 3', [orgId]);
    await tamper('update audit_events set seq = 3 where org_id = $1 and seq = 6', [orgId]);
    await tamper('update audit_events set seq = 6 where org_id = $1 and seq = -1', [orgId]);
    const r = await server.services.audit.verify(orgId);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 3);
  });

  test('an inserted event', async () => {
    const { orgId, events } = await chain('tamper-insert');
    await tamper('update audit_events set seq = seq + 1000 where org_id = $1 and seq >= 4', [orgId]);
    await tamper('update audit_events set seq = seq - 999 where org_id = $1 and seq >= 1004', [orgId]);
    await server.sql(
      `insert into audit_events (org_id, seq, id, at, action, resource_type, outcome, details, digest, hash)
       select org_id, 4, gen_random_uuid(), now(), 'auth.login', 'session', 'success', '{}', digest, hash from audit_events where org_id = $1 and seq = 3`,
      [orgId],
    );
    const r = await server.services.audit.verify(orgId);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, 4);
    assert.ok(events > 4);
  });

  test('truncating the tail is caught by the signed checkpoint even when the head is rewritten', async () => {
    const { orgId, events } = await chain('tamper-tail');
    await server.services.audit.checkpointAll();
    await tamper('delete from audit_events where org_id = $1 and seq > $2', [orgId, events - 2]);
    await server.sql('update audit_heads h set seq = e.seq, hash = e.hash from audit_events e where h.org_id = $1 and e.org_id = $1 and e.seq = $2', [orgId, events - 2]);
    const r = await server.services.audit.verify(orgId);
    assert.equal(r.ok, false);
    assert.equal(r.firstBadSeq, events - 1);
  });

  test('the CLI verifies every organization and exits non-zero on tampering', async () => {
    const env = { ...process.env, DATABASE_URL: server.databaseUrl, HAVEN_MASTER_KEY: server.config.masterKey!, HAVEN_ENV: 'test', DATA_DIR: server.config.dataDir };
    const { orgId } = await chain('cli-chain');
    const good = await run(process.execPath, [BIN, 'audit', 'verify', '--org', 'cli-chain'], { env });
    assert.match(good.stdout, /cli-chain: OK — \d+ events/);
    await tamper("update audit_events set outcome = 'failure' where org_id = $1 and seq = 2", [orgId]);
    const bad = await run(process.execPath, [BIN, 'audit', 'verify'], { env }).then(
      () => assert.fail('verification should fail'),
      (err: { code: number; stdout: string }) => err,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /cli-chain: FAILED at event 2/);
    assert.match(bad.stdout, /audited: OK/);
  });
});

describe('signed checkpoints', () => {
  test('anyone with the published public key can check a checkpoint signature', async () => {
    await server.services.audit.checkpointAll();
    const key = await server.client().call('audit.publicKey');
    assert.equal(key.algorithm, 'Ed25519');
    const cps = await p.compliance.client.call('audit.checkpoints');
    assert.ok(cps.items.length >= 1);
    const pub = createPublicKey(key.publicKeyPem);
    for (const cp of cps.items) {
      const message = checkpointMessage(p.orgId, String(cp.seq), Buffer.from(cp.hash, 'hex'), new Date(cp.signedAt));
      assert.equal(verify(null, message, pub, Buffer.from(cp.signature, 'base64')), true);
      const forged = checkpointMessage(p.orgId, String(cp.seq + 1), Buffer.from(cp.hash, 'hex'), new Date(cp.signedAt));
      assert.equal(verify(null, forged, pub, Buffer.from(cp.signature, 'base64')), false);
    }
    const r = await p.compliance.client.call('audit.verify');
    assert.equal(r.ok, true);
    assert.ok(r.checkpointsChecked >= 1);
  });
});
