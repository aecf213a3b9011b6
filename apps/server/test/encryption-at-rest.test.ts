// Encryption at rest: canary values pushed through every encrypted field must never appear in the raw
// PostgreSQL data directory (heap files and pg_wal) nor in a logical dump, while authorized callers still read
// them back. Tampered or moved ciphertexts must fail as integrity_error, never decrypt to other text.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Patient, Thread } from '@haven/api';
import { aad } from '../src/platform/crypto/aead.js';
import { code, createPractice, rejects, signIn, startTestServer, uuid, type Practice, type TestServer } from './harness.js';

const execFileAsync = promisify(execFile);

let server: TestServer;
let p: Practice;

const hex = (bytes = 8): string => randomBytes(bytes).toString('hex');
const digits = (n: number): string => Array.from({ length: n }, () => String(randomInt(10))).join('');
const pad = (n: number): string => String(n).padStart(2, '0');
/** A unique, greppable marker per field: lower-case letters, digits and hyphens only. */
const canary = (field: string): string => `canary-${field}-${hex()}`;
/** Passwords share no word with the e-mail (the password rules refuse that); the random part makes them unique. */
const passwordCanary = (): string => `pw${hex(10)}-lantern-marble-orbit`;

// A distinctive date of birth: a random day between 1901 and 1929.
const dobYear = 1901 + randomInt(29);
const dobMonth = 1 + randomInt(12);
const dobDay = 1 + randomInt(28);
const phoneDigits = digits(12);

/** Plaintext markers, one per field and path into the server. */
const C = {
  patientName: canary('patient-name'),
  patientNameUpdated: canary('patient-name-updated'),
  patientEmailLocal: canary('patient-email'),
  phone: `+1 (${phoneDigits.slice(0, 3)}) ${phoneDigits.slice(3)}`,
  phoneDigits,
  dob: `${dobYear}-${pad(dobMonth)}-${pad(dobDay)}`,
  dobIso: `${dobYear}-${pad(dobMonth)}-${pad(dobDay)}T00:00:00.000Z`,
  dobCompact: `${dobYear}${pad(dobMonth)}${pad(dobDay)}`,
  dobUs: `${pad(dobMonth)}/${pad(dobDay)}/${dobYear}`,
  mrn: canary('mrn'),
  mrnUpdated: canary('mrn-updated'),
  patientPassword: passwordCanary(),
  staffName: canary('staff-name'),
  staffNameUpdated: canary('staff-name-updated'),
  staffEmailLocal: canary('staff-email'),
  staffPassword: passwordCanary(),
  patientSubject: canary('patient-subject'),
  internalSubject: canary('internal-subject'),
  body: canary('body'),
  bodyV1: canary('body-version-one'),
  bodyV2: canary('body-version-two'),
  internalBody: canary('internal-body'),
  retractedBody: canary('retracted-body'),
  retractReason: canary('retract-reason'),
  searchQuery: canary('search'),
  failedLoginEmailLocal: canary('failed-login-email'),
  failedLoginPassword: passwordCanary(),
  unknownOrgEmailLocal: canary('unknown-org-email'),
  // Health observations: a value (as its digits), the FHIR resource's note and identifier, a staff-entered value.
  // (The last digit is never 0: the value travels as a JSON number, which would drop it.)
  observationValue: `137.913${digits(3)}${1 + randomInt(9)}`,
  observationNote: canary('observation-note'),
  observationIdentifier: canary('observation-identifier'),
  enteredValue: `81.91${digits(3)}${1 + randomInt(9)}`,
  notifyEmailLocal: canary('notify-email'),
  smsPhone: `+1${digits(10)}`,
  pushPath: canary('push-endpoint'),
  // 0011: a scheduled message (and its edit) and a chart note's comment.
  scheduledBody: canary('scheduled-body'),
  scheduledBodyV2: canary('scheduled-body-edited'),
  chartComment: canary('chart-comment'),
};
const patientEmail = `${C.patientEmailLocal}@patients.enc.test`;
const staffEmail = `${C.staffEmailLocal}@enc.test`;

/** Different control values: written in plaintext on purpose, so the searches must find them. */
const CONTROL_TEXT = canary('plaintext-control-text');
const CONTROL_BYTES = canary('plaintext-control-bytes');

interface Needle {
  label: string;
  bytes: Buffer;
}
interface Hit {
  label: string;
  where: string;
}

let canaryPatient: Patient;
let patientThread: Thread;
let internalThread: Thread;
let bodyMessageId: string;
let editedMessageId: string;
let retractedMessageId: string;
let scheduledId: string;
let totpSecret: string;
let staffId: string;
const secrets: { label: string; value: string }[] = [];
const keyMaterial: Needle[] = [];

before(async () => {
  // Notifications wait an hour (none is sent during the test) and push endpoints may name the canary's host.
  server = await startTestServer({ pushEndpointHosts: ['push.enc.test'], notifyDelaySeconds: 3600 });
  p = await createPractice(server, 'enc');

  // Patient: name, e-mail, phone, date of birth, MRN; then a new name and MRN.
  canaryPatient = await p.admin.client.call('patients.create', {
    body: { email: patientEmail, name: C.patientName, phone: C.phone, dateOfBirth: C.dob, mrn: C.mrn, password: C.patientPassword, careTeamIds: [p.teamA.id] },
  });
  const patient = await signIn(server, 'enc', patientEmail, C.patientPassword);
  // Notification contacts: an e-mail address for notifications, an SMS number, a Web Push subscription.
  await patient.call('notifications.preferences.update', { body: { email: `${C.notifyEmailLocal}@notify.enc.test`, smsPhone: C.smsPhone } });
  await patient.call('notifications.push.subscribe', {
    body: { endpoint: `https://push.enc.test/${C.pushPath}`, keys: { p256dh: `B${randomBytes(64).toString('base64url')}`, auth: randomBytes(16).toString('base64url') } },
  });

  // Staff member: name, e-mail; then a new name; TOTP enrollment (secret encrypted at rest).
  const staff = await p.admin.client.call('users.create', { body: { role: 'staff', email: staffEmail, name: C.staffName, password: C.staffPassword } });
  staffId = staff.id;
  const staffClient = await signIn(server, 'enc', staffEmail, C.staffPassword);
  const setup = await staffClient.call('auth.totp.setup');
  totpSecret = setup.secret;
  const enabled = await staffClient.call('auth.totp.enable', { body: { code: code(totpSecret) } });
  assert.equal(enabled.user.mfaEnabled, true);

  // Threads and messages: subject, body, an edited body (both versions kept), a retracted body with a reason.
  patientThread = await patient.call('threads.create', { body: { subject: C.patientSubject, topic: 'clinical_question' } });
  bodyMessageId = (await patient.call('messages.create', { params: { threadId: patientThread.id }, body: { id: uuid(), body: C.body } })).id;
  editedMessageId = (await p.provider.client.call('messages.create', { params: { threadId: patientThread.id }, body: { id: uuid(), body: C.bodyV1 } })).id;
  await p.provider.client.call('messages.edit', { params: { threadId: patientThread.id, messageId: editedMessageId }, body: { body: C.bodyV2 } });
  retractedMessageId = (await p.nurse.client.call('messages.create', { params: { threadId: patientThread.id }, body: { id: uuid(), body: C.retractedBody } })).id;
  await p.nurse.client.call('messages.retract', { params: { threadId: patientThread.id, messageId: retractedMessageId }, body: { reason: C.retractReason } });
  internalThread = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: C.internalSubject, participantIds: [p.nurse.id] } });
  await p.nurse.client.call('messages.create', { params: { threadId: internalThread.id }, body: { id: uuid(), body: C.internalBody } });
  await p.nurse.client.call('messages.search', { body: { query: C.searchQuery } });
  // 0011: a scheduled message, edited (it stays unsent during the test), and a chart note quoting the canary body.
  const scheduled = await p.provider.client.call('scheduledMessages.create', { params: { threadId: patientThread.id }, body: { id: uuid(), body: C.scheduledBody, sendAt: new Date(Date.now() + 3600_000).toISOString() } });
  scheduledId = scheduled.id;
  await p.provider.client.call('scheduledMessages.update', { params: { scheduledMessageId: scheduled.id }, body: { body: C.scheduledBodyV2 } });
  await p.provider.client.call('chartNotes.create', { params: { threadId: patientThread.id, messageId: bodyMessageId }, body: { id: uuid(), excerpt: C.body, comment: C.chartComment } });

  // Observations: a FHIR import (value, note, identifier) and a staff entry (value).
  await p.provider.client.call('observations.import', {
    params: { patientId: canaryPatient.id },
    body: {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'Observation',
            status: 'final',
            identifier: [{ system: 'urn:canary', value: C.observationIdentifier }],
            code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
            valueQuantity: { value: Number(C.observationValue), system: 'http://unitsofmeasure.org', code: 'mg/dL' },
            effectiveDateTime: new Date(Date.now() - 3600_000).toISOString(),
            note: [{ text: C.observationNote }],
          },
        },
      ],
    },
  });
  await p.nurse.client.call('observations.create', {
    params: { patientId: canaryPatient.id },
    body: { id: uuid(), metric: 'weight', value: Number(C.enteredValue), unit: 'kg', effectiveAt: new Date(Date.now() - 1800_000).toISOString() },
  });

  // Failed sign-ins with canary credentials, in the organization and in an unknown one (throttle rows are stored).
  await rejects(server.client().login('enc', `${C.failedLoginEmailLocal}@enc.test`, C.failedLoginPassword), 401, 'invalid_credentials');
  await rejects(server.client().login(`no-such-org-${hex(4)}`, `${C.unknownOrgEmailLocal}@enc.test`, C.failedLoginPassword), 401, 'invalid_credentials');

  // Secrets that must only ever be stored hashed or wrapped.
  for (const [label, client] of [['patient bearer token', patient], ['staff bearer token', staffClient], ['provider bearer token', p.provider.client]] as const) {
    assert.ok(client.token, `${label} present`);
    secrets.push({ label, value: client.token });
  }
  secrets.push({ label: 'TOTP secret', value: totpSecret });
  const masterKey = server.config.masterKey;
  assert.ok(masterKey, 'the test server runs with an explicit master key');
  keyMaterial.push({ label: 'master key (raw)', bytes: Buffer.from(masterKey, 'base64') }, { label: 'master key (base64)', bytes: Buffer.from(masterKey) });
  const keys = await server.sql<{ key_id: string }>('select key_id from users where id = $1', [canaryPatient.id]);
  const keyring = server.services.keyring;
  keyMaterial.push(
    { label: 'patient data key', bytes: await keyring.dataKey(keys.rows[0]!.key_id) },
    { label: 'organization data key', bytes: await keyring.dataKey(await keyring.orgDataKeyId(p.orgId, 'organization')) },
    { label: 'blind index key', bytes: await keyring.blindIndexKey(p.orgId) },
  );

  // The positive control: plaintext written on purpose into this test's own database.
  await server.sql('create table plaintext_control (v text, b bytea)');
  await server.sql('insert into plaintext_control (v, b) values ($1, $2)', [CONTROL_TEXT, Buffer.from(CONTROL_BYTES)]);
});
after(() => server.stop());

/** Every canary (and its upper-case form: MRNs and e-mails are normalized for the blind index), secrets, key material. */
function needles(): Needle[] {
  const out: Needle[] = [];
  const add = (label: string, value: string) => {
    out.push({ label, bytes: Buffer.from(value) });
    if (value.toUpperCase() !== value) out.push({ label: `${label} (upper case)`, bytes: Buffer.from(value.toUpperCase()) });
  };
  for (const [label, value] of Object.entries(C)) add(label, value);
  add('patient e-mail', patientEmail);
  add('staff e-mail', staffEmail);
  for (const s of secrets) add(s.label, s.value);
  return [...out, ...keyMaterial];
}
const controls = (): Needle[] => [
  { label: 'control text', bytes: Buffer.from(CONTROL_TEXT) },
  { label: 'control bytes', bytes: Buffer.from(CONTROL_BYTES) },
];

/** Finds which needles occur in a buffer. Needles sharing their first bytes are searched once by that prefix. */
function search(buf: Buffer, list: Needle[], where: string): Hit[] {
  const groups = new Map<string, Needle[]>();
  for (const n of list) {
    const key = n.bytes.subarray(0, 7).toString('hex');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const hits: Hit[] = [];
  for (const [key, group] of groups) {
    const prefix = Buffer.from(key, 'hex');
    const found = new Set<string>();
    for (let i = buf.indexOf(prefix); i !== -1 && found.size < group.length; i = buf.indexOf(prefix, i + 1)) {
      for (const n of group) {
        if (!found.has(n.label) && buf.subarray(i, i + n.bytes.length).equals(n.bytes)) {
          found.add(n.label);
          hits.push({ label: n.label, where });
        }
      }
    }
  }
  return hits;
}

/** Every regular file under the directory, following symlinked directories (pg_wal may be one). */
function filesUnder(dir: string, seen = new Set<string>()): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    try {
      const st = statSync(full);
      if (st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(...filesUnder(full, seen));
        }
      } else if (st.isFile()) {
        out.push(full);
      }
    } catch {
      // Removed while walking (WAL recycling, another test dropping its database).
    }
  }
  return out;
}

interface ScanResult {
  hits: Hit[];
  files: number;
  walFiles: number;
  bytes: number;
}

/** Scans every file under `dir` (the data directory, or a part of it); hits name files relative to the data directory. */
function scanDataDirectory(dataDir: string, list: Needle[], dir = dataDir): ScanResult {
  const result: ScanResult = { hits: [], files: 0, walFiles: 0, bytes: 0 };
  for (const file of filesUnder(dir)) {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      continue;
    }
    const rel = path.relative(dataDir, file);
    result.files++;
    result.bytes += buf.length;
    if (rel.startsWith(`pg_wal${path.sep}`)) result.walFiles++;
    result.hits.push(...search(buf, list, rel));
  }
  return result;
}

const describeHits = (hits: Hit[]): string => hits.map((h) => `${h.label} in ${h.where}`).join('\n');

describe('authorized callers read every encrypted field back in plaintext', () => {
  test('patient identity: name, e-mail, phone, date of birth, MRN (create, read, update)', async () => {
    assert.equal(canaryPatient.name, C.patientName);
    assert.equal(canaryPatient.email, patientEmail);
    assert.equal(canaryPatient.phone, C.phone);
    assert.equal(canaryPatient.dateOfBirth, C.dob);
    assert.equal(canaryPatient.mrn, C.mrn);
    for (const client of [p.admin.client, p.provider.client]) {
      const got = await client.call('patients.get', { params: { id: canaryPatient.id } });
      assert.deepEqual([got.name, got.email, got.phone, got.dateOfBirth, got.mrn], [C.patientName, patientEmail, C.phone, C.dob, C.mrn]);
    }
    const byMrn = await p.provider.client.call('patients.list', { query: { mrn: C.mrn } });
    assert.deepEqual(byMrn.items.map((x) => x.id), [canaryPatient.id]);
    const updated = await p.admin.client.call('patients.update', { params: { id: canaryPatient.id }, body: { name: C.patientNameUpdated, mrn: C.mrnUpdated } });
    assert.equal(updated.name, C.patientNameUpdated);
    assert.equal(updated.mrn, C.mrnUpdated);
    const self = await signIn(server, 'enc', patientEmail, C.patientPassword);
    const mine = await self.call('patients.get', { params: { id: canaryPatient.id } });
    assert.equal(mine.name, C.patientNameUpdated);
    assert.equal(mine.dateOfBirth, C.dob);

    // Each identifying column holds AES-GCM output: format byte, IV, tag, then exactly the plaintext's length.
    const row = await server.sql<{ email_ct: Buffer; name_ct: Buffer; phone_ct: Buffer; dob_ct: Buffer; mrn_ct: Buffer }>(
      'select email_ct, name_ct, phone_ct, dob_ct, mrn_ct from users where id = $1',
      [canaryPatient.id],
    );
    const r = row.rows[0]!;
    const expected: [string, Buffer, string][] = [
      ['email_ct', r.email_ct, patientEmail],
      ['name_ct', r.name_ct, C.patientNameUpdated],
      ['phone_ct', r.phone_ct, C.phone],
      ['dob_ct', r.dob_ct, C.dob],
      ['mrn_ct', r.mrn_ct, C.mrnUpdated],
    ];
    for (const [column, ct, plain] of expected) {
      assert.ok(Buffer.isBuffer(ct), `${column} is stored`);
      assert.equal(ct[0], 1, `${column} has the v1 ciphertext format`);
      assert.equal(ct.length, 1 + 12 + 16 + Buffer.byteLength(plain), `${column} is AES-GCM output of the value`);
    }
  });

  test('notification contacts: e-mail override, SMS number, push subscription', async () => {
    const self = await signIn(server, 'enc', patientEmail, C.patientPassword);
    const prefs = await self.call('notifications.preferences.get');
    assert.equal(prefs.email, `${C.notifyEmailLocal}@notify.enc.test`);
    assert.equal(prefs.smsPhone, C.smsPhone);
    assert.equal(prefs.pushSubscriptions, 1);
    const row = await server.sql<{ email_ct: Buffer; sms_phone_ct: Buffer }>('select email_ct, sms_phone_ct from notification_preferences where user_id = $1', [canaryPatient.id]);
    assert.equal(row.rows[0]!.email_ct.length, 1 + 12 + 16 + Buffer.byteLength(`${C.notifyEmailLocal}@notify.enc.test`));
    assert.equal(row.rows[0]!.sms_phone_ct.length, 1 + 12 + 16 + C.smsPhone.length);
  });

  test('staff identity and TOTP secret', async () => {
    const renamed = await p.admin.client.call('users.update', { params: { id: staffId }, body: { name: C.staffNameUpdated } });
    assert.equal(renamed.name, C.staffNameUpdated);
    const got = await p.admin.client.call('users.get', { params: { id: staffId } });
    assert.equal(got.email, staffEmail);
    assert.equal(got.name, C.staffNameUpdated);
    assert.equal(got.mfaEnabled, true);
    const row = await server.sql<{ totp_secret_ct: Buffer | null; totp_pending_ct: Buffer | null }>('select totp_secret_ct, totp_pending_ct from users where id = $1', [staffId]);
    assert.ok(row.rows[0]!.totp_secret_ct, 'the TOTP secret is stored encrypted');
    assert.equal(row.rows[0]!.totp_secret_ct.length, 1 + 12 + 16 + totpSecret.length);
  });

  test('thread subjects, message bodies, every edit version, the retract reason', async () => {
    assert.equal((await p.nurse.client.call('threads.get', { params: { threadId: patientThread.id } })).subject, C.patientSubject);
    assert.equal((await p.nurse.client.call('threads.get', { params: { threadId: internalThread.id } })).subject, C.internalSubject);
    const history = await p.nurse.client.call('messages.list', { params: { threadId: patientThread.id } });
    const bodies = new Map(history.items.map((m) => [m.id, m.body]));
    assert.equal(bodies.get(bodyMessageId), C.body);
    assert.equal(bodies.get(editedMessageId), C.bodyV2);
    assert.equal(bodies.get(retractedMessageId), C.retractedBody);
    const versions = await p.nurse.client.call('messages.versions', { params: { threadId: patientThread.id, messageId: editedMessageId } });
    assert.deepEqual(versions.items.map((v) => v.body), [C.bodyV1, C.bodyV2]);
    const internal = await p.provider.client.call('messages.list', { params: { threadId: internalThread.id } });
    assert.deepEqual(internal.items.map((m) => m.body), [C.internalBody]);

    // The API never returns the retract reason; it is stored encrypted and bound to its message.
    const row = await server.sql<{ org_id: string; thread_id: string; retract_reason_ct: Buffer | null; key_id: string }>(
      'select m.org_id, m.thread_id, m.retract_reason_ct, t.key_id from messages m join threads t on t.id = m.thread_id where m.id = $1',
      [retractedMessageId],
    );
    const r = row.rows[0]!;
    assert.ok(r.retract_reason_ct, 'the retract reason is stored');
    const reason = await server.services.keyring.decrypt(r.key_id, r.retract_reason_ct, aad('message', r.org_id, r.thread_id, retractedMessageId, 'retract_reason'));
    assert.equal(reason, C.retractReason);
  });

  test('scheduled message text and chart note excerpts and comments (0011)', async () => {
    const scheduled = await p.nurse.client.call('scheduledMessages.list', { params: { threadId: patientThread.id } });
    assert.equal(scheduled.items.find((s) => s.id === scheduledId)?.body, C.scheduledBodyV2);
    const notes = await p.nurse.client.call('chartNotes.list', { params: { patientId: canaryPatient.id } });
    assert.deepEqual(notes.items.map((n) => [n.excerpt, n.comment]), [[C.body, C.chartComment]]);
  });
});

describe('authorized callers read observations back', () => {
  test('imported and entered values', async () => {
    const ctx = await p.provider.client.call('observations.list', { params: { patientId: canaryPatient.id }, query: { days: 2 } });
    const value = (metric: string) => ctx.series.find((s) => s.metric === metric)?.observations[0]?.value;
    assert.equal(String(value('glucose')), C.observationValue);
    assert.equal(String(value('weight')), C.enteredValue);
  });
});

describe('no canary at rest', () => {
  test('raw data directory, including pg_wal: no canary, secret or key; the plaintext control is found', async (t) => {
    const dir = (await server.sql<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    assert.ok(existsSync(dir), `data directory ${dir} is readable`);
    const isControl = (h: Hit) => h.label.startsWith('control ');
    const inWal = (h: Hit) => h.where.startsWith(`pg_wal${path.sep}`);

    // First the write-ahead log as it is, before a checkpoint can recycle segments. A control written just now must be there.
    const walControl: Needle = { label: 'control written just before the scan', bytes: Buffer.from(canary('plaintext-control-wal')) };
    await server.sql('insert into plaintext_control (v) values ($1)', [walControl.bytes.toString()]);
    const wal = scanDataDirectory(dir, [...needles(), ...controls(), walControl], path.join(dir, 'pg_wal'));
    t.diagnostic(`pg_wal before CHECKPOINT: ${wal.walFiles} files, ${(wal.bytes / 1e6).toFixed(1)} MB`);
    const walLeaks = wal.hits.filter((h) => !isControl(h) && h.label !== walControl.label);
    assert.equal(walLeaks.length, 0, `plaintext found in the write-ahead log:\n${describeHits(walLeaks)}`);
    assert.ok(wal.hits.some((h) => h.label === walControl.label && inWal(h)), 'the plaintext control is found in pg_wal');

    // Then everything, after CHECKPOINT has written the table pages.
    await server.sql('CHECKPOINT');
    const started = Date.now();
    const scan = scanDataDirectory(dir, [...needles(), ...controls(), walControl]);
    t.diagnostic(`after CHECKPOINT: scanned ${scan.files} files (${scan.walFiles} in pg_wal), ${(scan.bytes / 1e6).toFixed(1)} MB of ${dir} in ${Date.now() - started} ms`);
    assert.ok(scan.walFiles > 0, 'pg_wal was scanned');
    const leaks = scan.hits.filter((h) => !isControl(h) && h.label !== walControl.label);
    assert.equal(leaks.length, 0, `plaintext found at rest:\n${describeHits(leaks)}`);
    const control = scan.hits.filter((h) => h.label === 'control text');
    assert.ok(control.some((h) => h.where.startsWith(`base${path.sep}`)), `the plaintext control is found in the table files after CHECKPOINT (found: ${describeHits(control) || 'nowhere'})`);
    assert.ok(scan.hits.some((h) => h.label === 'control bytes' && h.where.startsWith(`base${path.sep}`)), 'the bytea plaintext control is found in the table files');
  });

  test('logical dump of every table (and pg_dump when its version can dump this server): no canary; control found', async (t) => {
    const tables = await server.sql<{ name: string }>(
      "select format('%I', table_name) as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
    );
    const names = tables.rows.map((r) => r.name);
    for (const expected of ['users', 'threads', 'messages', 'message_versions', 'audit_events', 'auth_throttle', 'sessions', 'observations', 'plaintext_control']) {
      assert.ok(names.includes(expected), `table ${expected} is dumped`);
    }
    const list = needles();
    const hits: Hit[] = [];
    const controlHits: Hit[] = [];
    let rows = 0;
    let bytes = 0;
    for (const name of names) {
      const res = await server.sql<Record<string, unknown>>(`select * from public.${name}`);
      rows += res.rows.length;
      const chunks: Buffer[] = [];
      for (const row of res.rows) for (const value of Object.values(row)) chunks.push(...serialize(value));
      const dump = Buffer.concat(chunks.flatMap((c) => [c, Buffer.from('\n')]));
      bytes += dump.length;
      hits.push(...search(dump, list, `table ${name}`));
      controlHits.push(...search(dump, controls(), `table ${name}`));
    }
    t.diagnostic(`logical dump: ${names.length} tables, ${rows} rows, ${(bytes / 1e6).toFixed(2)} MB serialized`);
    assert.equal(hits.length, 0, `plaintext found in the logical dump:\n${describeHits(hits)}`);
    assert.deepEqual(controlHits.map((h) => `${h.label} in ${h.where}`).sort(), ['control bytes in table plaintext_control', 'control text in table plaintext_control']);

    const serverMajor = Math.floor((await server.sql<{ v: number }>("select current_setting('server_version_num')::int as v")).rows[0]!.v / 10000);
    assert.ok(serverMajor >= 15, `server major version ${serverMajor}`);
    const tool = await pgDumpFor(serverMajor);
    if (!tool.bin) {
      t.diagnostic(`real pg_dump not run: ${tool.reason}; the logical dump above covers every table`);
      return;
    }
    const { stdout } = await execFileAsync(tool.bin, ['--dbname', server.databaseUrl, '--no-owner', '--no-privileges', '--format=plain'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
    // bytea columns are dumped as hex: search the plain values and their hex encoding.
    const asHex = (n: Needle): Needle => ({ label: `${n.label} (hex)`, bytes: Buffer.from(n.bytes.toString('hex')) });
    const dumpHits = search(stdout, [...list, ...list.map(asHex)], 'pg_dump');
    t.diagnostic(`real pg_dump ${tool.major} run against PostgreSQL ${serverMajor}: ${(stdout.length / 1e6).toFixed(2)} MB`);
    assert.equal(dumpHits.length, 0, `plaintext found in pg_dump output:\n${describeHits(dumpHits)}`);
    const dumpControls = search(stdout, [controls()[0]!, asHex(controls()[1]!)], 'pg_dump').map((h) => h.label).sort();
    assert.deepEqual(dumpControls, ['control bytes (hex)', 'control text']);
  });
});

/** A value as a dump would show it; bytea as raw bytes, hex and base64; text also decoded when it looks encoded. */
function serialize(value: unknown): Buffer[] {
  if (value === null || value === undefined) return [];
  if (Buffer.isBuffer(value)) return [value, Buffer.from(value.toString('hex')), Buffer.from(value.toString('base64'))];
  if (value instanceof Date) return [Buffer.from(value.toISOString())];
  if (typeof value === 'string') return [Buffer.from(value), ...decodings(value)];
  if (typeof value === 'object') return [Buffer.from(JSON.stringify(value)), ...strings(value).flatMap(decodings)];
  return [Buffer.from(String(value))];
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

function decodings(s: string): Buffer[] {
  const out: Buffer[] = [];
  const text = s.startsWith('\\x') ? s.slice(2) : s;
  if (text.length >= 16 && text.length % 2 === 0 && /^[0-9a-f]+$/i.test(text)) out.push(Buffer.from(text, 'hex'));
  if (s.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) out.push(Buffer.from(s, 'base64'), Buffer.from(s, 'base64url'));
  return out;
}

/** The newest pg_dump on this machine, if its major version can dump the server. */
async function pgDumpFor(serverMajor: number): Promise<{ bin?: string; major?: number; reason: string }> {
  const candidates = ['pg_dump'];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql')) candidates.push(path.join('/usr/lib/postgresql', v, 'bin', 'pg_dump'));
  }
  const found: { bin: string; major: number }[] = [];
  for (const bin of candidates) {
    try {
      const { stdout } = await execFileAsync(bin, ['--version'], { encoding: 'utf8' });
      const m = /\(PostgreSQL\)\s+(\d+)/.exec(stdout) ?? /(\d+)\.\d+/.exec(stdout);
      if (m) found.push({ bin, major: Number(m[1]) });
    } catch {
      // not installed
    }
  }
  found.sort((a, b) => b.major - a.major);
  const best = found[0];
  if (!best) return { reason: 'no pg_dump binary on this machine' };
  if (best.major < serverMajor) return { reason: `newest pg_dump is version ${best.major}, older than the server (${serverMajor})` };
  return { bin: best.bin, major: best.major, reason: 'compatible' };
}

describe('tampered ciphertexts fail closed with integrity_error', () => {
  let thread: Thread;
  let m1: string;
  let m2: string;
  const TEXT1 = `tamper first ${hex(4)} zanzibar`;
  const TEXT2 = `tamper second ${hex(4)}`;

  before(async () => {
    thread = await p.patientA.client.call('threads.create', { body: { subject: 'Tamper test', topic: 'other' } });
    m1 = (await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: TEXT1 } })).id;
    m2 = (await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: TEXT2 } })).id;
  });

  const bodyCt = async (messageId: string, version = 1): Promise<Buffer> =>
    (await server.sql<{ body_ct: Buffer }>('select body_ct from message_versions where message_id = $1 and version = $2', [messageId, version])).rows[0]!.body_ct;
  const setBodyCt = (messageId: string, ct: Buffer, version = 1) =>
    server.sql('update message_versions set body_ct = $3 where message_id = $1 and version = $2', [messageId, version, ct]);

  async function assertReadable(): Promise<void> {
    const list = await p.patientA.client.call('messages.list', { params: { threadId: thread.id } });
    assert.deepEqual(list.items.map((m) => m.body), [TEXT2, TEXT1]);
  }

  /** The raw answer must be a problem, and must not contain either message's text. */
  async function rawListLeaksNothing(): Promise<void> {
    const res = await fetch(`${server.url}/api/v1/threads/${thread.id}/messages`, { headers: { authorization: `Bearer ${p.nurse.client.token}` } });
    const text = await res.text();
    assert.equal(res.status, 500);
    assert.ok(!text.includes(TEXT1) && !text.includes(TEXT2), 'no plaintext in the error answer');
  }

  test('flipping or truncating any part of a stored body is detected on every read path; restoring it recovers', async () => {
    await assertReadable();
    const original = await bodyCt(m1);
    const flip = (at: number): Buffer => {
      const b = Buffer.from(original);
      b[at] = b[at]! ^ 0xff;
      return b;
    };
    const variants: [string, Buffer][] = [
      ['format byte', flip(0)],
      ['IV', flip(5)],
      ['tag', flip(20)],
      ['middle of the ciphertext', flip(Math.floor(original.length / 2))],
      ['last byte', flip(original.length - 1)],
      ['truncated', original.subarray(0, original.length - 1)],
      ['extended', Buffer.concat([original, Buffer.from([0])])],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, tampered] of variants) {
      await setBodyCt(m1, tampered);
      await rejects(p.patientA.client.call('messages.list', { params: { threadId: thread.id } }), 500, 'integrity_error').catch((e: Error) => assert.fail(`${what}: ${e.message}`));
      await rejects(p.nurse.client.call('messages.versions', { params: { threadId: thread.id, messageId: m1 } }), 500, 'integrity_error').catch((e: Error) => assert.fail(`${what}: ${e.message}`));
      if (what === 'middle of the ciphertext') {
        await rejects(p.nurse.client.call('messages.search', { body: { query: 'zanzibar' } }), 500, 'integrity_error');
        await rawListLeaksNothing();
      }
      await setBodyCt(m1, original);
      await assertReadable();
    }
  });

  test('swapping the bodies of two messages of the same thread fails instead of showing the other text', async () => {
    const [a, b] = [await bodyCt(m1), await bodyCt(m2)];
    await server.sql(
      `update message_versions set body_ct = case message_id when $1::uuid then $3::bytea else $4::bytea end
        where version = 1 and message_id in ($1::uuid, $2::uuid)`,
      [m1, m2, b, a],
    );
    assert.ok((await bodyCt(m1)).equals(b) && (await bodyCt(m2)).equals(a), 'the swap happened');
    await rejects(p.patientA.client.call('messages.list', { params: { threadId: thread.id } }), 500, 'integrity_error');
    await rejects(p.nurse.client.call('messages.versions', { params: { threadId: thread.id, messageId: m1 } }), 500, 'integrity_error');
    await rejects(p.nurse.client.call('messages.versions', { params: { threadId: thread.id, messageId: m2 } }), 500, 'integrity_error');
    await rawListLeaksNothing();
    await setBodyCt(m1, a);
    await setBodyCt(m2, b);
    await assertReadable();
  });

  test('swapping two versions of one edited message fails (the version is bound)', async () => {
    const m = (await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'version one text' } })).id;
    await p.patientA.client.call('messages.edit', { params: { threadId: thread.id, messageId: m }, body: { body: 'version two text' } });
    const [v1, v2] = [await bodyCt(m, 1), await bodyCt(m, 2)];
    await setBodyCt(m, v2, 1);
    await setBodyCt(m, v1, 2);
    await rejects(p.patientA.client.call('messages.list', { params: { threadId: thread.id } }), 500, 'integrity_error');
    await rejects(p.nurse.client.call('messages.versions', { params: { threadId: thread.id, messageId: m } }), 500, 'integrity_error');
    await setBodyCt(m, v1, 1);
    await setBodyCt(m, v2, 2);
    const versions = await p.nurse.client.call('messages.versions', { params: { threadId: thread.id, messageId: m } });
    assert.deepEqual(versions.items.map((v) => v.body), ['version one text', 'version two text']);
  });

  test('a body copied into another thread of the same patient (same data key) fails', async () => {
    const other = await p.patientA.client.call('threads.create', { body: { subject: 'Other thread', topic: 'other' } });
    const o = (await p.patientA.client.call('messages.create', { params: { threadId: other.id }, body: { id: uuid(), body: 'other thread text' } })).id;
    const original = await bodyCt(o);
    await setBodyCt(o, await bodyCt(m1));
    await rejects(p.patientA.client.call('messages.list', { params: { threadId: other.id } }), 500, 'integrity_error');
    await setBodyCt(o, original);
    assert.deepEqual((await p.patientA.client.call('messages.list', { params: { threadId: other.id } })).items.map((m) => m.body), ['other thread text']);
  });

  test('swapping the subjects of two threads of the same patient fails', async () => {
    const t1 = await p.patientA.client.call('threads.create', { body: { subject: 'Subject one', topic: 'other' } });
    const t2 = await p.patientA.client.call('threads.create', { body: { subject: 'Subject two', topic: 'other' } });
    const get = async (id: string) => (await server.sql<{ subject_ct: Buffer }>('select subject_ct from threads where id = $1', [id])).rows[0]!.subject_ct;
    const set = (id: string, ct: Buffer) => server.sql('update threads set subject_ct = $2 where id = $1', [id, ct]);
    const [s1, s2] = [await get(t1.id), await get(t2.id)];
    await set(t1.id, s2);
    await set(t2.id, s1);
    await rejects(p.nurse.client.call('threads.get', { params: { threadId: t1.id } }), 500, 'integrity_error');
    await rejects(p.patientA.client.call('threads.get', { params: { threadId: t2.id } }), 500, 'integrity_error');
    await rejects(p.patientA.client.call('threads.list'), 500, 'integrity_error');
    await set(t1.id, s1);
    await set(t2.id, s2);
    assert.equal((await p.patientA.client.call('threads.get', { params: { threadId: t1.id } })).subject, 'Subject one');
  });

  test('swapping name_ct between two patients, or two fields of one patient, fails on patients.get', async () => {
    type Row = { name_ct: Buffer; email_ct: Buffer };
    const get = async (id: string) => (await server.sql<Row>('select name_ct, email_ct from users where id = $1', [id])).rows[0]!;
    const setName = (id: string, ct: Buffer) => server.sql('update users set name_ct = $2 where id = $1', [id, ct]);
    const a = await get(p.patientA.id);
    const b = await get(p.patientB.id);
    await setName(p.patientA.id, b.name_ct);
    await setName(p.patientB.id, a.name_ct);
    await rejects(p.admin.client.call('patients.get', { params: { id: p.patientA.id } }), 500, 'integrity_error');
    await rejects(p.admin.client.call('patients.get', { params: { id: p.patientB.id } }), 500, 'integrity_error');
    await rejects(p.provider.client.call('patients.get', { params: { id: p.patientA.id } }), 500, 'integrity_error');
    await setName(p.patientA.id, a.name_ct);
    await setName(p.patientB.id, b.name_ct);
    assert.equal((await p.admin.client.call('patients.get', { params: { id: p.patientA.id } })).name, 'Patient A enc');

    // Same row, same data key: only the field binding tells name from e-mail.
    await server.sql('update users set name_ct = $2, email_ct = $3 where id = $1', [p.patientA.id, a.email_ct, a.name_ct]);
    await rejects(p.admin.client.call('patients.get', { params: { id: p.patientA.id } }), 500, 'integrity_error');
    await server.sql('update users set name_ct = $2, email_ct = $3 where id = $1', [p.patientA.id, a.name_ct, a.email_ct]);
    const back = await p.admin.client.call('patients.get', { params: { id: p.patientA.id } });
    assert.deepEqual([back.name, back.email], ['Patient A enc', p.patientA.email]);
  });

  test('swapping name_ct between two staff members (same organization key) fails on users.get', async () => {
    const get = async (id: string) => (await server.sql<{ name_ct: Buffer }>('select name_ct from users where id = $1', [id])).rows[0]!.name_ct;
    const set = (id: string, ct: Buffer) => server.sql('update users set name_ct = $2 where id = $1', [id, ct]);
    const [a, b] = [await get(p.provider.id), await get(p.otherProvider.id)];
    await set(p.provider.id, b);
    await set(p.otherProvider.id, a);
    await rejects(p.admin.client.call('users.get', { params: { id: p.provider.id } }), 500, 'integrity_error');
    await rejects(p.admin.client.call('users.get', { params: { id: p.otherProvider.id } }), 500, 'integrity_error');
    await rejects(p.admin.client.call('users.list'), 500, 'integrity_error');
    await set(p.provider.id, a);
    await set(p.otherProvider.id, b);
    assert.equal((await p.admin.client.call('users.get', { params: { id: p.provider.id } })).name, 'Dr A enc');
  });
});
