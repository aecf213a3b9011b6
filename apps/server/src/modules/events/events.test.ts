import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CloseCodes } from '@haven/api';
import { createPractice, signIn, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';
import { closeOf, isEvent, listen, rawSocket, sleep } from '../../../test/live.js';

// Live events through the real server and the SDK's event stream: who receives what, resuming from a cursor,
// sending over the socket, authorization at delivery time, and what a hostile client cannot do.

let server: TestServer;
let p: Practice;
let threadId: string;

before(async () => {
  server = await startTestServer({ eventSessionCheckMs: 200, eventSocketFramesPerSecond: 20 });
  p = await createPractice(server, 'live');
  threadId = (await p.patientA.client.call('threads.create', { body: { subject: 'Rash on my arm', topic: 'other' } })).id;
});
after(() => server.stop());

const send = (who: { client: Practice['patientA']['client'] }, body: string, thread = threadId) =>
  who.client.call('messages.create', { params: { threadId: thread }, body: { id: uuid(), body } });

describe('delivery', () => {
  test('a message reaches the patient and their care team at once, and nobody else', async () => {
    const provider = await listen(p.provider.client);
    const nurse = await listen(p.nurse.client);
    const patient = await listen(p.patientA.client);
    const outsider = await listen(p.otherProvider.client);
    const otherPatient = await listen(p.patientB.client);
    const admin = await listen(p.admin.client);
    const compliance = await listen(p.compliance.client);
    try {
      const m = await send(p.patientA, 'The rash is spreading');
      for (const l of [provider, nurse, patient]) {
        const f = await l.waitFor(isEvent('message.created', m.id));
        assert.equal(f.event.threadId, threadId);
        assert.equal(f.event.message?.body, 'The rash is spreading');
        assert.equal(f.event.actorId, p.patientA.id);
      }
      // Give the others every chance to (wrongly) receive it.
      const reply = await send(p.provider, 'Please send a photo');
      await patient.waitFor(isEvent('message.created', reply.id));
      await sleep(300);
      for (const l of [outsider, otherPatient, admin, compliance]) {
        assert.equal(l.events().length, 0, 'an event reached someone who may not see the thread');
      }
    } finally {
      for (const l of [provider, nurse, patient, outsider, otherPatient, admin, compliance]) l.stream.close();
    }
  });

  test('a reconnecting client receives exactly what it missed, in order, once, then live events', async () => {
    const first = await listen(p.provider.client);
    const m0 = await send(p.patientA, 'before the drop');
    const seen = await first.waitFor(isEvent('message.created', m0.id));
    first.stream.close();
    await first.waitClosed();

    const missed = [];
    for (let i = 0; i < 5; i++) missed.push(await send(p.patientA, `while away ${i}`));
    const elsewhere = await p.patientB.client.call('threads.create', { body: { subject: 'Elsewhere', topic: 'other' } });
    await send(p.patientB, 'another patient, another team', elsewhere.id);

    const again = await listen(p.provider.client, { cursor: seen.event.cursor });
    try {
      const ready = again.frames.findIndex((f) => f.type === 'ready');
      const replayed = again.frames.slice(0, ready).flatMap((f) => (f.type === 'event' ? [f.event] : []));
      assert.deepEqual(
        replayed.filter((e) => e.type === 'message.created').map((e) => e.messageId),
        missed.map((m) => m.id),
      );
      const cursors = replayed.map((e) => BigInt(e.cursor));
      assert.deepEqual(cursors, [...cursors].sort((a, b) => (a < b ? -1 : 1)), 'replay out of order');
      assert.ok(cursors.every((c) => c > BigInt(seen.event.cursor)));
      const live = await send(p.patientA, 'after the reconnect');
      await again.waitFor(isEvent('message.created', live.id));
      await sleep(200);
      const ids = again.events().map((e) => `${e.type}:${e.messageId}`);
      assert.equal(new Set(ids).size, ids.length, 'an event arrived twice');
    } finally {
      again.stream.close();
    }
  });

  test('edits, retractions and receipts are events; a patient never receives a retracted text', async () => {
    const provider = await listen(p.provider.client);
    const patient = await listen(p.patientA.client);
    try {
      const m = await send(p.nurse, 'Take 200mg twice a day');
      await patient.waitFor(isEvent('message.created', m.id));
      await p.nurse.client.call('messages.edit', { params: { threadId, messageId: m.id }, body: { body: 'Take 100mg twice a day' } });
      const edited = await patient.waitFor(isEvent('message.edited', m.id));
      assert.equal(edited.event.message?.body, 'Take 100mg twice a day');
      assert.equal(edited.event.message?.edited, true);

      await p.patientA.client.call('messages.receipts', { params: { threadId }, body: { messageId: m.id, status: 'read' } });
      const receipt = await provider.waitFor(isEvent('receipts.updated', m.id));
      assert.deepEqual(receipt.event.receipts, { userId: p.patientA.id, status: 'read', uptoMessageId: m.id });

      await p.nurse.client.call('messages.retract', { params: { threadId, messageId: m.id }, body: { reason: 'wrong patient' } });
      const forPatient = await patient.waitFor(isEvent('message.retracted', m.id));
      assert.equal(forPatient.event.message, undefined, 'the patient got the retracted message');
      const forStaff = await provider.waitFor(isEvent('message.retracted', m.id));
      assert.equal(forStaff.event.message?.retracted, true);
      assert.equal(forStaff.event.message?.body, 'Take 100mg twice a day');

      // Replayed later, the patient's stream holds no trace of the retracted text.
      const replay = await listen(p.patientA.client, { cursor: '0' });
      try {
        assert.ok(!JSON.stringify(replay.frames).includes('twice a day'));
        assert.ok(replay.events().some((e) => e.type === 'message.retracted' && e.messageId === m.id));
      } finally {
        replay.stream.close();
      }
    } finally {
      provider.stream.close();
      patient.stream.close();
    }
  });

  test("a message's attachments travel with its event", async () => {
    const nurse = await listen(p.nurse.client);
    try {
      const id = uuid();
      const file = await p.patientA.client.uploadAttachment(threadId, id, { data: Buffer.from('my blood pressure log\n'), fileName: 'bp.txt', contentType: 'text/plain' });
      await p.patientA.client.call('messages.create', { params: { threadId }, body: { id, body: 'Log attached' } });
      const f = await nurse.waitFor(isEvent('message.created', id));
      assert.deepEqual(f.event.message?.attachments.map((a) => [a.id, a.fileName]), [[file.id, 'bp.txt']]);
    } finally {
      nurse.stream.close();
    }
  });

  test('a new thread is announced to its care team', async () => {
    const nurse = await listen(p.nurse.client);
    try {
      const t = await p.patientA.client.call('threads.create', { body: { subject: 'Refill please', topic: 'other' } });
      const f = await nurse.waitFor((x) => x.type === 'event' && x.event.type === 'thread.created' && x.event.threadId === t.id);
      assert.equal(f.type === 'event' && f.event.thread?.patientId, p.patientA.id);
    } finally {
      nurse.stream.close();
    }
  });
});

describe('the stream in the database', () => {
  test('event rows carry identifiers only, never message text', async () => {
    const canary = `canary-${uuid()}`;
    const l = await listen(p.provider.client);
    try {
      const m = await send(p.patientA, `my secret symptom ${canary}`);
      await l.waitFor(isEvent('message.created', m.id));
      const rows = await server.sql('SELECT * FROM events');
      assert.ok(rows.rows.length > 0);
      assert.ok(!JSON.stringify(rows.rows).includes(canary));
    } finally {
      l.stream.close();
    }
  });

  test('a cursor older than the retained events is told to resynchronize, then goes live', async () => {
    const before = await server.sql<{ pruned_to: string }>('SELECT pruned_to FROM event_relay_state');
    await server.sql('UPDATE event_relay_state SET pruned_to = 5');
    try {
      const l = await listen(p.provider.client, { cursor: '1' });
      try {
        const i = l.frames.findIndex((f) => f.type === 'error' && f.code === 'cursor_expired');
        assert.ok(i >= 0 && i < l.frames.findIndex((f) => f.type === 'ready'));
        const m = await send(p.patientA, 'live after resync');
        await l.waitFor(isEvent('message.created', m.id));
      } finally {
        l.stream.close();
      }
    } finally {
      await server.sql('UPDATE event_relay_state SET pruned_to = $1', [before.rows[0]!.pruned_to]);
    }
  });
});

describe('presence', () => {
  test('a user counts as connected while a socket is open, on any node, and not after it closes', async () => {
    const who = p.patientB.id;
    const l = await listen(p.patientB.client);
    // Recorded right after the replay ('ready').
    for (let i = 0; i < 50 && (await server.services.events.connectedUsers([who])).size === 0; i++) await sleep(20);
    assert.deepEqual([...(await server.services.events.connectedUsers([who]))], [who]);
    l.stream.close();
    await l.waitClosed();
    // Also a socket that closes right away, before its replay is done.
    const { ticket } = await p.patientB.client.call('events.ticket');
    const quick = await rawSocket(`${server.url.replace('http', 'ws')}/api/v1/events?ticket=${ticket}&cursor=0`);
    quick.ws.terminate();
    for (let i = 0; i < 50 && (await server.services.events.connectedUsers([who])).size > 0; i++) await sleep(50);
    await sleep(300);
    assert.equal((await server.services.events.connectedUsers([who])).size, 0, 'a closed socket left its user connected');
  });

  test('staff see each other come online and go away', async () => {
    const nurse = await listen(p.nurse.client);
    try {
      const provider = await listen(p.provider.client);
      await nurse.waitFor((f) => f.type === 'presence' && f.userId === p.provider.id && f.status === 'online');
      provider.stream.close();
      await nurse.waitFor((f) => f.type === 'presence' && f.userId === p.provider.id && f.status === 'away');
      // Patients are not told who is online.
      const patient = await listen(p.patientA.client);
      const other = await listen(p.otherProvider.client);
      other.stream.close();
      await sleep(300);
      assert.equal(patient.frames.filter((f) => f.type === 'presence').length, 0);
      patient.stream.close();
    } finally {
      nurse.stream.close();
    }
  });
});

describe('sending over the socket', () => {
  test('is idempotent by message id, together with HTTP', async () => {
    const patient = await listen(p.patientA.client);
    const provider = await listen(p.provider.client);
    try {
      const id = uuid();
      const a = await patient.stream.send(threadId, { id, body: 'sent over the socket' });
      assert.equal(a.replayed, false);
      const b = await patient.stream.send(threadId, { id, body: 'sent over the socket' });
      assert.equal(b.replayed, true);
      const c = await p.patientA.client.call('messages.create', { params: { threadId }, body: { id, body: 'sent over the socket' } });
      assert.equal(c.id, id);
      await assert.rejects(patient.stream.send(threadId, { id, body: 'a different text' }), (e: { code?: string }) => e.code === 'idempotency_conflict');
      await provider.waitFor(isEvent('message.created', id));
      await sleep(300);
      assert.equal(provider.events().filter((e) => e.type === 'message.created' && e.messageId === id).length, 1);
      const page = await p.provider.client.call('messages.list', { params: { threadId }, query: { limit: 100 } });
      assert.equal(page.items.filter((m) => m.id === id).length, 1);
    } finally {
      patient.stream.close();
      provider.stream.close();
    }
  });

  test("another patient's thread, a forged thread id: the same 404 as over HTTP", async () => {
    const intruder = await listen(p.patientB.client);
    try {
      await assert.rejects(intruder.stream.send(threadId, { id: uuid(), body: 'let me in' }), (e: { status?: number }) => e.status === 404);
      await assert.rejects(intruder.stream.send(uuid(), { id: uuid(), body: 'forged' }), (e: { status?: number }) => e.status === 404);
      await assert.rejects(intruder.stream.receipt(threadId, uuid(), 'read'), (e: { status?: number }) => e.status === 404);
    } finally {
      intruder.stream.close();
    }
  });

  test('typing reaches the thread audience only', async () => {
    const patient = await listen(p.patientA.client);
    const outsider = await listen(p.otherProvider.client);
    const provider = await listen(p.provider.client);
    try {
      provider.stream.typing(threadId);
      const f = await patient.waitFor((x) => x.type === 'typing');
      assert.deepEqual(f, { type: 'typing', threadId, userId: p.provider.id, typing: true });
      await sleep(200);
      assert.equal(outsider.frames.filter((x) => x.type === 'typing').length, 0);
      // Typing into a thread one may not see is refused.
      outsider.stream.typing(threadId);
      await outsider.waitFor((x) => x.type === 'error' && x.code === 'not_found');
    } finally {
      for (const l of [patient, outsider, provider]) l.stream.close();
    }
  });
});

describe('authorization at delivery', () => {
  test('a staff member removed from the care team stops receiving at once and the socket closes', async () => {
    const s = await createPractice(server, 'live-remove');
    const t = (await s.patientA.client.call('threads.create', { body: { subject: 'Question', topic: 'other' } })).id;
    const nurse = await listen(s.nurse.client);
    await s.admin.client.call('careTeams.members.remove', { params: { id: s.teamA.id, userId: s.nurse.id } });
    const closed = await nurse.waitClosed(1000);
    assert.equal(closed.code, CloseCodes.accessChanged);
    // Reconnected, the nurse no longer receives the patient's messages (live or replayed).
    const again = await listen(s.nurse.client, { cursor: '0' });
    try {
      const m = await send(s.patientA, 'after the removal', t);
      const provider = await listen(s.provider.client, { cursor: '0' });
      await provider.waitFor(isEvent('message.created', m.id));
      provider.stream.close();
      await sleep(300);
      assert.equal(again.events().filter((e) => e.type.startsWith('message.')).length, 0);
    } finally {
      again.stream.close();
    }
  });

  test('sign-out and deactivation close the socket within a second', async () => {
    const s = await createPractice(server, 'live-end');
    const patient = await listen(s.patientA.client);
    const nurse = await listen(s.nurse.client);
    const t0 = Date.now();
    await s.patientA.client.call('auth.logout');
    assert.equal((await patient.waitClosed(1000)).code, CloseCodes.unauthenticated);
    await s.admin.client.call('users.deactivate', { params: { id: s.nurse.id } });
    assert.equal((await nurse.waitClosed(1000)).code, CloseCodes.unauthenticated);
    assert.ok(Date.now() - t0 < 2500);
  });

  test('idle logoff applies to sockets: pings do not keep a session alive', async () => {
    const idle = await startTestServer({ eventSessionCheckMs: 100, sessionIdleMinutesPatient: 0.04 });
    try {
      const s = await createPractice(idle, 'live-idle');
      const patient = await signIn(idle, 'live-idle', s.patientA.email, s.patientA.password);
      const l = await listen(patient);
      const pinger = setInterval(() => l.stream.sendRaw(JSON.stringify({ type: 'ping' })), 300);
      try {
        const closed = await l.waitClosed(6000);
        assert.equal(closed.code, CloseCodes.unauthenticated);
        assert.ok(l.frames.some((f) => f.type === 'pong'));
      } finally {
        clearInterval(pinger);
      }
    } finally {
      await idle.stop();
    }
  });
});

describe('opening the socket', () => {
  const eventsUrl = () => `${server.url.replace('http', 'ws')}/api/v1/events`;

  test('a ticket works once; garbage, reused and missing credentials are refused before the upgrade', async () => {
    const { ticket } = await p.patientA.client.call('events.ticket');
    const ok = await rawSocket(`${eventsUrl()}?ticket=${ticket}`);
    assert.equal(ok.opened, true);
    ok.ws.close();
    assert.equal((await rawSocket(`${eventsUrl()}?ticket=${ticket}`)).status, 401, 'a ticket was used twice');
    assert.equal((await rawSocket(`${eventsUrl()}?ticket=${'x'.repeat(43)}`)).status, 401);
    assert.equal((await rawSocket(eventsUrl())).status, 401);
    assert.equal((await rawSocket(`${eventsUrl()}?ticket=${ticket}&cursor=abc`)).status, 400);
    // A ticket of a session that has since ended is worthless.
    const s = await signIn(server, 'live', p.nurse.email, p.nurse.password);
    const late = await s.call('events.ticket');
    await s.call('auth.logout');
    assert.equal((await rawSocket(`${eventsUrl()}?ticket=${late.ticket}`)).status, 401);
  });

  test('browsers use the session cookie, from an allowed origin only', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ organization: 'live', email: p.patientA.email, password: p.patientA.password, transport: 'cookie' }),
    });
    assert.equal(res.status, 200);
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const origin = new URL(server.config.publicUrl).origin;
    const ok = await rawSocket(eventsUrl(), { cookie, origin });
    assert.equal(ok.opened, true);
    ok.ws.close();
    assert.equal((await rawSocket(eventsUrl(), { cookie, origin: 'https://evil.example' })).status, 403);
    assert.equal((await rawSocket(eventsUrl(), { cookie })).status, 403);
  });
});

describe('hostile input', () => {
  const openRaw = async () => {
    const { ticket } = await p.patientA.client.call('events.ticket');
    const s = await rawSocket(`${server.url.replace('http', 'ws')}/api/v1/events?ticket=${ticket}`);
    assert.ok(s.opened);
    return s.ws;
  };

  test('garbage JSON and unknown frames get error frames; the socket stays usable', async () => {
    const ws = await openRaw();
    const answers: string[] = [];
    ws.on('message', (d) => answers.push(d.toString()));
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'launch', ref: 'x1' }));
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    // A known frame with a bad field is told which field.
    ws.send(JSON.stringify({ type: 'send', ref: 's1', threadId, message: { id: 'not-a-uuid', body: 'hi' } }));
    ws.send(JSON.stringify({ type: 'ping', ref: 'p1' }));
    await sleep(300);
    const frames = answers.map((a) => JSON.parse(a) as { type: string; code?: string; ref?: string; message?: string });
    const errors = frames.filter((f) => f.type === 'error' && f.code === 'invalid_frame');
    assert.equal(errors.length, 4);
    assert.match(errors.find((f) => f.ref === 'x1')?.message ?? '', /Unknown frame type; use one of: .*send/);
    assert.match(errors.find((f) => f.ref === 's1')?.message ?? '', /^\/message\/id/);
    assert.ok(frames.some((f) => f.type === 'pong' && f.ref === 'p1'));
    ws.close();
  });

  test('an oversized frame closes with 1009, invalid UTF-8 with 1007', async () => {
    const big = await openRaw();
    big.send('x'.repeat(server.config.eventSocketMaxFrameBytes + 1));
    assert.equal(await closeOf(big), 1009);
    const bad = await openRaw();
    bad.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal(await closeOf(bad), 1007);
  });

  test('a flood is refused and then cut off, while other sockets keep receiving', async () => {
    const provider = await listen(p.provider.client);
    try {
      const ws = await openRaw();
      const closed = closeOf(ws, 10_000);
      let limited = 0;
      ws.on('message', (d) => {
        if (String(d).includes('too_many_requests')) limited++;
      });
      for (let i = 0; i < 1000 && ws.readyState === ws.OPEN; i++) ws.send(JSON.stringify({ type: 'ping' }));
      assert.equal(await closed, CloseCodes.rateLimited);
      assert.ok(limited > 0);
      const m = await send(p.patientA, 'still flowing');
      await provider.waitFor(isEvent('message.created', m.id));
    } finally {
      provider.stream.close();
    }
  });
});

describe('inbox counters', () => {
  const countFrames = (l: Awaited<ReturnType<typeof listen>>) => l.frames.flatMap((f) => (f.type === 'inbox.counts' ? [f.counts] : []));

  test('providers and staff get their counts when the socket is ready, and fresh counts after their inbox changes; patients never', async () => {
    const nurse = await listen(p.nurse.client);
    const outsider = await listen(p.otherProvider.client);
    const patient = await listen(p.patientA.client);
    try {
      const first = await nurse.waitFor((f) => f.type === 'inbox.counts');
      assert.deepEqual(first.type === 'inbox.counts' && first.counts, await p.nurse.client.call('inbox.counts'));
      await outsider.waitFor((f) => f.type === 'inbox.counts');
      const before = await p.nurse.client.call('inbox.counts');

      // A new thread with a patient message: the nurse's care-team view grows, and the frame says so.
      const t = await p.patientA.client.call('threads.create', { body: { subject: 'Counting', topic: 'other' } });
      await send(p.patientA, 'A new question', t.id);
      const after = await p.nurse.client.call('inbox.counts');
      assert.equal(after.care_teams, before.care_teams + 1);
      await nurse.waitFor((f) => f.type === 'inbox.counts' && f.counts.care_teams === after.care_teams, 10_000);

      // A burst of changes is coalesced: fewer frames than messages.
      const framesBefore = countFrames(nurse).length;
      for (let i = 0; i < 10; i++) await send(p.patientA, `burst ${i}`, t.id);
      await sleep(2_500);
      assert.ok(countFrames(nurse).length - framesBefore < 10, `${countFrames(nurse).length - framesBefore} frames for 10 messages`);

      // The provider of another care team does not see the thread: no fresh counts for it; the patient gets none at all.
      assert.equal(countFrames(outsider).length, 1);
      assert.equal(countFrames(patient).length, 0);
    } finally {
      for (const l of [nurse, outsider, patient]) l.stream.close();
    }
  });
});
