// Log redaction: canaries pushed through every place a caller can put health information, contact data or
// secrets (bodies, subjects, identity fields, search words, query strings, passwords, tokens, malformed and
// refused requests) must never reach the server's log, while every request is still logged. Error answers are
// problem+json without stacks or SQL.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { endpoints, HavenClient } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from './harness.js';

let server: TestServer;
let p: Practice;

const hex = (bytes = 8): string => randomBytes(bytes).toString('hex');
const canary = (field: string): string => `canary-${field}-${hex()}`;
/** Passwords share no word with the e-mail (the password rules refuse that); the random part makes them unique. */
const passwordCanary = (): string => `pw${hex(10)}-lantern-marble-orbit`;
const phoneDigits = Array.from({ length: 12 }, () => String(randomInt(10))).join('');
const dob = `${1901 + randomInt(29)}-0${1 + randomInt(9)}-1${randomInt(9)}`;

/** Every canary sent to the server, by what it stands for. */
const K = {
  body: canary('body'),
  editedBody: canary('edited-body'),
  retractedBody: canary('retracted-body'),
  retractReason: canary('retract-reason'),
  subject: canary('subject'),
  internalSubject: canary('internal-subject'),
  internalBody: canary('internal-body'),
  patientName: canary('patient-name'),
  patientNameUpdated: canary('patient-name-updated'),
  patientEmailLocal: canary('patient-email'),
  phone: `+1 (${phoneDigits.slice(0, 3)}) ${phoneDigits.slice(3)}`,
  phoneDigits,
  dob,
  mrn: canary('mrn'),
  staffName: canary('staff-name'),
  staffEmailLocal: canary('staff-email'),
  searchQuery: canary('search'),
  listQueryEmailLocal: canary('list-email'),
  listQueryMrn: canary('list-mrn'),
  patientPassword: passwordCanary(),
  staffPassword: passwordCanary(),
  newStaffPassword: passwordCanary(),
  wrongCurrentPassword: passwordCanary(),
  tooShortPassword: `pw${hex(5)}`,
  failedLoginPassword: passwordCanary(),
  failedLoginEmailLocal: canary('failed-login-email'),
  unknownOrgEmailLocal: canary('unknown-org-email'),
  unknownOrg: canary('org'),
  bogusBearer: `canary${hex(16)}`,
  malformedAuthorization: canary('malformed-auth'),
  wrongCsrf: canary('csrf'),
  invalidJson: canary('invalid-json'),
  invalidJsonPassword: passwordCanary(),
  unknownPropertyValue: canary('unknown-property-value'),
  invalidPhone: canary('invalid-phone'),
  notFoundQuery: canary('not-found-query'),
  notFoundQueryEmail: canary('not-found-email'),
  cursor: canary('cursor'),
  conflictBody: canary('conflict-body'),
  conflictName: canary('conflict-name'),
  forbiddenName: canary('forbidden-name'),
  tooLarge: canary('too-large'),
  mediaType: canary('media-type'),
  tamperedBody: canary('tampered-body'),
  shareText: canary('share-text'),
  shareConflictText: canary('share-conflict-text'),
} satisfies Record<string, string>;
/** Tokens and secrets issued by the server, added as they appear. */
const issued: Record<string, string> = {};
const everything = (): Record<string, string> => ({ ...K, ...issued });

interface Answer {
  url: string;
  status: number;
  contentType: string;
  text: string;
}
/** Every error answer received, SDK or raw. */
const errorAnswers: Answer[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (res.status >= 400) {
    errorAnswers.push({ url: input instanceof Request ? input.url : String(input), status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.clone().text() });
  }
  return res;
};

/** An SDK client that records error answers; optionally reusing an existing session token. */
const sdk = (token?: string): HavenClient => new HavenClient({ baseUrl: server.url, token, fetch: recordingFetch });

/** A raw request, for what the SDK cannot send (malformed JSON, unknown properties, wrong media types). */
function raw(path: string, init: RequestInit = {}): Promise<Response> {
  return recordingFetch(`${server.url}${path}`, init);
}

async function signInRecording(org: string, email: string, password: string): Promise<HavenClient> {
  const client = sdk();
  const session = await client.login(org, email, password);
  assert.equal(session.stage, 'active');
  return client;
}

function addSecret(label: string, value: string | undefined): void {
  assert.ok(value, `${label} was issued`);
  issued[label] = value;
}

let lastRequestId = '';

before(async () => {
  server = await startTestServer();
  p = await createPractice(server, 'logs');
  const admin = sdk(p.admin.client.token);
  const provider = sdk(p.provider.client.token);
  const nurse = sdk(p.nurse.client.token);
  const patientA = sdk(p.patientA.client.token);

  // Identity fields: a patient and a staff member created, read, looked up and updated.
  const patientEmail = `${K.patientEmailLocal}@patients.logs.test`;
  const patient = await admin.call('patients.create', {
    body: { email: patientEmail, name: K.patientName, phone: K.phone, dateOfBirth: dob, mrn: K.mrn, password: K.patientPassword, careTeamIds: [p.teamA.id] },
  });
  await provider.call('patients.get', { params: { id: patient.id } });
  await admin.call('patients.update', { params: { id: patient.id }, body: { name: K.patientNameUpdated } });
  await provider.call('patients.list', { query: { email: `${K.listQueryEmailLocal}@patients.logs.test` } });
  await provider.call('patients.list', { query: { mrn: K.listQueryMrn } });
  await provider.call('patients.list', { query: { mrn: K.mrn } });
  const staffEmail = `${K.staffEmailLocal}@logs.test`;
  await admin.call('users.create', { body: { role: 'staff', email: staffEmail, name: K.staffName, password: K.staffPassword } });

  // Sign-ins: good ones (tokens issued), failed ones with canary credentials.
  const patientClient = await signInRecording('logs', patientEmail, K.patientPassword);
  const staffClient = await signInRecording('logs', staffEmail, K.staffPassword);
  addSecret('patientBearer', patientClient.token);
  addSecret('patientDevice', patientClient.deviceToken);
  addSecret('staffBearer', staffClient.token);
  addSecret('staffDevice', staffClient.deviceToken);
  for (const [label, c] of [['admin', p.admin.client], ['provider', p.provider.client], ['nurse', p.nurse.client], ['patientA', p.patientA.client]] as const) {
    addSecret(`${label}Bearer`, c.token);
  }
  await rejects(sdk().login('logs', `${K.failedLoginEmailLocal}@logs.test`, K.failedLoginPassword), 401, 'invalid_credentials');
  await rejects(sdk().login('logs', patientEmail, K.failedLoginPassword), 401, 'invalid_credentials');
  await rejects(sdk().login(K.unknownOrg, `${K.unknownOrgEmailLocal}@logs.test`, K.failedLoginPassword), 401, 'invalid_credentials');

  // Browser sign-in: session cookie, device cookie and CSRF token; one good and one forged unsafe request.
  const cookieLogin = await raw('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ organization: 'logs', email: p.nurse.email, password: p.nurse.password, transport: 'cookie' }),
  });
  assert.equal(cookieLogin.status, 200);
  const csrf = ((await cookieLogin.json()) as { csrfToken?: string }).csrfToken;
  const cookies = cookieLogin.headers.getSetCookie().map((c) => c.split(';')[0]!);
  for (const c of cookies) addSecret(`cookie ${c.split('=')[0]}`, c.slice(c.indexOf('=') + 1));
  addSecret('csrfToken', csrf);
  const cookieHeader = cookies.join('; ');
  const viaCookie = await raw('/api/v1/threads', {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookieHeader, 'x-csrf-token': csrf! },
    body: JSON.stringify({ subject: K.internalSubject, kind: 'internal' }),
  });
  assert.equal(viaCookie.status, 201);
  const forged = await raw('/api/v1/threads', {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookieHeader, 'x-csrf-token': K.wrongCsrf },
    body: JSON.stringify({ subject: K.internalSubject, kind: 'internal' }),
  });
  assert.equal(forged.status, 403);

  // Second factor setup (secret returned once) and password changes.
  addSecret('totpSecret', (await staffClient.call('auth.totp.setup')).secret);
  await rejects(staffClient.call('auth.password.change', { body: { currentPassword: K.wrongCurrentPassword, newPassword: K.newStaffPassword } }), 401, 'invalid_credentials');
  await staffClient.call('auth.password.change', { body: { currentPassword: K.staffPassword, newPassword: K.newStaffPassword } });
  await rejects(admin.call('patients.create', { body: { email: `short.${hex(4)}@patients.logs.test`, name: 'Short Password', password: K.tooShortPassword } }), 400, 'password_rejected');

  // Messages: subject, body, edit, retraction with a reason, search, an internal thread.
  const thread = await patientClient.call('threads.create', { body: { subject: K.subject, topic: 'clinical_question' } });
  const sent = await patientClient.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: K.body } });
  await patientClient.call('messages.edit', { params: { threadId: thread.id, messageId: sent.id }, body: { body: K.editedBody } });
  const wrong = await nurse.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: K.retractedBody } });
  await nurse.call('messages.retract', { params: { threadId: thread.id, messageId: wrong.id }, body: { reason: K.retractReason } });
  await provider.call('messages.list', { params: { threadId: thread.id } });
  await provider.call('messages.versions', { params: { threadId: thread.id, messageId: sent.id } });
  await provider.call('messages.search', { body: { query: K.searchQuery } });
  const internal = await provider.call('threads.create', { body: { kind: 'internal', subject: K.internalSubject, participantIds: [p.nurse.id] } });
  await nurse.call('messages.create', { params: { threadId: internal.id }, body: { id: uuid(), body: K.internalBody } });
  // A resource shared into the thread with a text of its own (a message body), then the same id with another text.
  const leaflet = await provider.call('resources.create', { body: { kind: 'link', title: 'Leaflet', url: 'https://example.org/leaflet' } });
  const shareId = uuid();
  await provider.call('resources.share', { params: { threadId: thread.id, resourceId: leaflet.id }, body: { id: shareId, text: K.shareText } });
  await rejects(provider.call('resources.share', { params: { threadId: thread.id, resourceId: leaflet.id }, body: { id: shareId, text: K.shareConflictText } }), 409, 'idempotency_conflict');
  await provider.call('messages.get', { params: { threadId: thread.id, messageId: shareId } });

  // Refused requests: 401, 403, 404, 409, 400 (cursor in the query string).
  await rejects(sdk(K.bogusBearer).call('threads.list'), 401, 'unauthenticated');
  const malformed = await raw('/api/v1/threads', { headers: { authorization: `Bearer ${K.malformedAuthorization}!` } });
  assert.equal(malformed.status, 401);
  await rejects(patientA.call('users.create', { body: { role: 'staff', email: `forbidden.${hex(4)}@logs.test`, name: K.forbiddenName } }), 403, 'forbidden');
  await rejects(provider.call('threads.get', { params: { threadId: uuid() } }), 404, 'not_found');
  const id = uuid();
  await patientClient.call('messages.create', { params: { threadId: thread.id }, body: { id, body: 'first text under this id' } });
  await rejects(patientClient.call('messages.create', { params: { threadId: thread.id }, body: { id, body: K.conflictBody } }), 409, 'idempotency_conflict');
  await rejects(admin.call('patients.create', { body: { email: patientEmail, name: K.conflictName } }), 409, 'conflict');
  await rejects(provider.call('messages.list', { params: { threadId: thread.id }, query: { before: K.cursor } }), 400, 'validation_failed');

  // Malformed requests: broken JSON, unknown property, invalid field, 404 with a query string, 413, 415.
  const bearer = { authorization: `Bearer ${p.provider.client.token}` };
  const json = { ...bearer, 'content-type': 'application/json' };
  const broken = await raw('/api/v1/threads', { method: 'POST', headers: json, body: `{"subject": "${K.invalidJson}", "kind": ` });
  assert.equal(broken.status, 400);
  const brokenLogin = await raw('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"organization": "logs", "email": "${p.nurse.email}", "password": "${K.invalidJsonPassword}"`,
  });
  assert.equal(brokenLogin.status, 400);
  const unknownProperty = await raw('/api/v1/threads', { method: 'POST', headers: json, body: JSON.stringify({ kind: 'internal', subject: 'Unknown property', note: K.unknownPropertyValue }) });
  assert.equal(unknownProperty.status, 400);
  const invalidField = await raw('/api/v1/patients', { method: 'POST', headers: { ...json, authorization: `Bearer ${p.admin.client.token}` }, body: JSON.stringify({ email: `bad.phone.${hex(4)}@patients.logs.test`, name: 'Bad Phone', phone: K.invalidPhone }) });
  assert.equal(invalidField.status, 400);
  const notFound = await raw(`/api/v1/no-such-endpoint?q=${K.notFoundQuery}&email=${encodeURIComponent(`${K.notFoundQueryEmail}@logs.test`)}`, { headers: bearer });
  assert.equal(notFound.status, 404);
  const tooLarge = await raw('/api/v1/threads', { method: 'POST', headers: json, body: JSON.stringify({ subject: K.tooLarge, padding: `${K.tooLarge} `.repeat(40_000) }) });
  assert.equal(tooLarge.status, 413);
  const mediaType = await raw('/api/v1/threads', { method: 'POST', headers: { ...bearer, 'content-type': 'text/plain' }, body: `subject=${K.mediaType}` });
  assert.equal(mediaType.status, 415);

  // 500: a tampered ciphertext (the body must not be logged even when decryption fails).
  const tampered = await patientClient.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: K.tamperedBody } });
  const ct = (await server.sql<{ body_ct: Buffer }>('select body_ct from message_versions where message_id = $1 and version = 1', [tampered.id])).rows[0]!.body_ct;
  const flipped = Buffer.from(ct);
  flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 0xff;
  await server.sql('update message_versions set body_ct = $2 where message_id = $1 and version = 1', [tampered.id, flipped]);
  await rejects(provider.call('messages.list', { params: { threadId: thread.id } }), 500, 'integrity_error');
  await server.sql('update message_versions set body_ct = $2 where message_id = $1 and version = 1', [tampered.id, ct]);
  assert.ok((await provider.call('messages.list', { params: { threadId: thread.id } })).items.some((m) => m.body === K.tamperedBody));

  // The last request: once its log line is written, every earlier one is too.
  const sentinel = await raw('/api/v1/no-such-sentinel');
  lastRequestId = ((await sentinel.json()) as { requestId: string }).requestId;
  for (let i = 0; i < 100 && !server.logs.some((l) => l.includes(lastRequestId)); i++) await new Promise((r) => setTimeout(r, 20));
});
after(() => server.stop());

interface LogLine {
  msg?: string;
  level?: number;
  reqId?: string;
  method?: unknown;
  url?: unknown;
  status?: unknown;
  op?: unknown;
  [k: string]: unknown;
}
const parsed = (): LogLine[] => server.logs.map((l) => JSON.parse(l) as LogLine);
const requestLines = (): LogLine[] => parsed().filter((l) => l.msg === 'request');

describe('the log records requests', () => {
  test('the log is not empty: every line is JSON and every request made is there', (t) => {
    assert.ok(server.logs.length > 0, 'the server logged something');
    assert.doesNotThrow(parsed, 'every log line is JSON');
    const lines = requestLines();
    t.diagnostic(`${server.logs.length} log lines, ${lines.length} request lines, ${errorAnswers.length} error answers checked`);
    assert.ok(lines.some((l) => l.reqId === lastRequestId), 'the last request was logged');
    const ops = new Set(lines.map((l) => l.op));
    for (const op of ['auth.login', 'auth.password.change', 'auth.totp.setup', 'patients.create', 'patients.get', 'patients.list', 'patients.update', 'users.create', 'threads.create', 'messages.create', 'messages.edit', 'messages.retract', 'messages.list', 'messages.versions', 'messages.search']) {
      assert.ok(ops.has(op), `a request line for ${op}`);
    }
    const statuses = new Set(lines.map((l) => l.status));
    for (const s of [200, 201, 400, 401, 403, 404, 409, 413, 415, 500]) assert.ok(statuses.has(s), `a request line with status ${s}`);
    // Every error answer carries a request id that has its own request line with the same status.
    for (const a of errorAnswers) {
      const requestId = (JSON.parse(a.text) as { requestId?: string }).requestId;
      assert.ok(requestId, `${a.status} ${a.url} has a requestId`);
      const line = lines.find((l) => l.reqId === requestId);
      assert.ok(line, `request ${requestId} (${a.status} ${a.url}) was logged`);
      assert.equal(line.status, a.status);
    }
    assert.ok(parsed().some((l) => l.msg === 'stored data failed its integrity check'), 'the integrity failure was logged');
  });

  test('each request line has method, status and the operation id of the route; query strings are redacted', () => {
    for (const l of requestLines()) {
      const where = JSON.stringify(l);
      assert.equal(typeof l.method, 'string', `method in ${where}`);
      assert.equal(typeof l.status, 'number', `status in ${where}`);
      assert.equal(typeof l.url, 'string', `url in ${where}`);
      const url = l.url as string;
      if (url.includes('?')) assert.match(url, /\?\[redacted\]$/, where);
      const route = routeOf(l.method as string, url.split('?')[0]!);
      if (route) {
        assert.equal(l.op, route, `op in ${where}`);
      } else {
        // No route, no operation: only the not-found answer, without an op.
        assert.equal(l.status, 404, where);
        assert.equal(l.op, undefined, where);
      }
    }
    const notFound = requestLines().find((l) => typeof l.url === 'string' && l.url.startsWith('/api/v1/no-such-endpoint'));
    assert.ok(notFound, 'the unknown URL was logged');
    assert.equal(notFound.url, '/api/v1/no-such-endpoint?[redacted]');
    assert.equal(notFound.status, 404);
  });
});

/** The operation id whose route matches a method and path, if any. */
function routeOf(method: string, pathname: string): string | undefined {
  for (const [op, e] of Object.entries(endpoints)) {
    const pattern = new RegExp(`^/api/v1${e.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`);
    if (e.method === method && pattern.test(pathname)) return op;
  }
  return undefined;
}

describe('the log holds no health information, contact data or secrets', () => {
  test('no canary appears in any log line', () => {
    const all = everything();
    for (const label of ['patientBearer', 'patientDevice', 'staffBearer', 'staffDevice', 'adminBearer', 'providerBearer', 'nurseBearer', 'patientABearer', 'cookie haven_session', 'cookie haven_device', 'csrfToken', 'totpSecret']) {
      assert.ok(issued[label], `issued secret ${label} is checked too`);
    }
    const leaks: string[] = [];
    for (const [label, value] of Object.entries(all)) {
      const forms = new Set([value, value.toUpperCase(), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
      for (const line of server.logs) {
        for (const form of forms) if (line.includes(form)) leaks.push(`${label}: ${line}`);
      }
    }
    assert.deepEqual(leaks, []);
  });

  test('no request or response headers or bodies are logged', () => {
    const text = server.logs.join('\n');
    assert.doesNotMatch(text, /"(headers|authorization|cookie|set-cookie|x-csrf-token|x-haven-device)"\s*:/i);
    assert.doesNotMatch(text, /"(body|subject|password|currentPassword|newPassword|token|email|phone|mrn|dateOfBirth|query)"\s*:\s*"(?!\[redacted\])/);
  });
});

describe('error answers', () => {
  test('are application/problem+json with a code, and carry no stack trace, SQL or request data', () => {
    const statuses = new Set(errorAnswers.map((a) => a.status));
    for (const s of [400, 401, 403, 404, 409, 413, 415, 500]) assert.ok(statuses.has(s), `an error answer with status ${s} was checked`);
    for (const a of errorAnswers) {
      const where = `${a.status} ${a.url}: ${a.text}`;
      assert.match(a.contentType, /^application\/problem\+json/, where);
      const problem = JSON.parse(a.text) as { status?: unknown; code?: unknown; title?: unknown };
      assert.equal(problem.status, a.status, where);
      assert.match(String(problem.code), /^[a-z_]+$/, where);
      assert.equal(typeof problem.title, 'string', where);
      assert.doesNotMatch(a.text, /at .*\.ts:\d+|SELECT |INSERT |node_modules/, where);
      assert.doesNotMatch(a.text, /\.(ts|js|mjs):\d+|stack|pg_|relation "|violates|syntax error/i, where);
      for (const [label, value] of Object.entries(everything())) assert.ok(!a.text.includes(value), `${label} echoed in ${where}`);
    }
  });
});
