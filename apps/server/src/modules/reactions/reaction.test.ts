import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HavenClient, Message } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';
import { isEvent, listen, sleep } from '../../../test/live.js';

// Emoji reactions through the real server and the SDK: add, remove, idempotency, what counts as one emoji, retracted
// messages, who may react where, how messages carry their reactions (one query per page), live events and audit.

let server: TestServer;
let p: Practice;
let other: Practice;
let threadId: string;

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'rct'), createPractice(server, 'rct2')]);
  threadId = (await p.patientA.client.call('threads.create', { body: { subject: 'Knee', topic: 'other' } })).id;
});
after(() => server.stop());

const send = (client: HavenClient, body: string, thread = threadId): Promise<Message> => client.call('messages.create', { params: { threadId: thread }, body: { id: uuid(), body } });
const react = (client: HavenClient, messageId: string, emoji: string, thread = threadId) => client.call('reactions.add', { params: { threadId: thread, messageId, emoji } });
const unreact = (client: HavenClient, messageId: string, emoji: string, thread = threadId) => client.call('reactions.remove', { params: { threadId: thread, messageId, emoji } });

describe('adding and removing', () => {
  test('one row per person, message and emoji: adding or removing twice changes nothing', async () => {
    const m = await send(p.provider.client, 'Ice it twice a day');
    assert.deepEqual(m.reactions, [], 'a new message has no reactions');

    const first = await react(p.patientA.client, m.id, '👍');
    assert.deepEqual(first, { messageId: m.id, changed: true, reactions: [{ emoji: '👍', count: 1, userIds: [p.patientA.id] }] });
    const again = await react(p.patientA.client, m.id, '👍');
    assert.deepEqual(again, { ...first, changed: false });

    await react(p.provider.client, m.id, '👍');
    // A text-style heart is stored in emoji style: both spellings are one reaction.
    const heart = await react(p.nurse.client, m.id, '❤');
    assert.deepEqual(heart.reactions, [
      { emoji: '👍', count: 2, userIds: [p.patientA.id, p.provider.id] },
      { emoji: '❤️', count: 1, userIds: [p.nurse.id] },
    ]);
    assert.equal((await react(p.nurse.client, m.id, '❤️')).changed, false);

    // Every answer that presents the message carries its reactions.
    const got = await p.patientA.client.call('messages.get', { params: { threadId, messageId: m.id } });
    assert.deepEqual(got.reactions, heart.reactions);
    const page = await p.nurse.client.call('messages.list', { params: { threadId } });
    assert.deepEqual(page.items.find((x) => x.id === m.id)!.reactions, heart.reactions);
    const edited = await p.provider.client.call('messages.edit', { params: { threadId, messageId: m.id }, body: { body: 'Ice it three times a day' } });
    assert.deepEqual(edited.reactions, heart.reactions);

    const removed = await unreact(p.nurse.client, m.id, '❤');
    assert.equal(removed.changed, true);
    assert.deepEqual(removed.reactions, [{ emoji: '👍', count: 2, userIds: [p.patientA.id, p.provider.id] }]);
    assert.equal((await unreact(p.nurse.client, m.id, '❤️')).changed, false);
    // Removing takes back only your own reaction.
    const mine = await unreact(p.patientA.client, m.id, '👍');
    assert.deepEqual(mine.reactions, [{ emoji: '👍', count: 1, userIds: [p.provider.id] }]);

    const rows = await server.sql(`select user_id, emoji from message_reactions where message_id = $1`, [m.id]);
    assert.deepEqual(rows.rows, [{ user_id: p.provider.id, emoji: '👍' }]);

    // An idempotent send retry answers the stored message with its reactions.
    const retried = await p.provider.client.call('messages.create', { params: { threadId }, body: { id: m.id, body: 'Ice it twice a day' } });
    assert.deepEqual(retried.reactions, [{ emoji: '👍', count: 1, userIds: [p.provider.id] }]);
  });

  test('a page of history reads the reactions of all its messages in one query', async () => {
    const thread = (await p.patientA.client.call('threads.create', { body: { subject: 'Many', topic: 'other' } })).id;
    const sent: Message[] = [];
    for (let i = 0; i < 12; i++) sent.push(await send(i % 2 ? p.provider.client : p.patientA.client, `message ${i}`, thread));
    for (const [i, m] of sent.entries()) if (i % 3 === 0) await react(p.nurse.client, m.id, '✅', thread);
    const reactions = server.services.reactions;
    const original = reactions.forMessages.bind(reactions);
    const calls: string[][] = [];
    reactions.forMessages = async (orgId, ids) => {
      calls.push(ids);
      return original(orgId, ids);
    };
    try {
      const page = await p.provider.client.call('messages.list', { params: { threadId: thread }, query: { limit: 50 } });
      assert.equal(page.items.length, 12);
      assert.equal(calls.length, 1, 'one lookup for the page');
      assert.equal(calls[0]!.length, 12);
      for (const [i, m] of sent.entries()) {
        const shown = page.items.find((x) => x.id === m.id)!;
        assert.deepEqual(shown.reactions, i % 3 === 0 ? [{ emoji: '✅', count: 1, userIds: [p.nurse.id] }] : []);
      }
    } finally {
      reactions.forMessages = original;
    }
  });

  test('a person may put at most 20 different emoji on one message', async () => {
    const m = await send(p.patientA.client, 'So many feelings');
    const emoji = [...'😀😃😄😁😆😅😂🤣😊😇🙂🙃😉😌😍🥰😘😗😙😚'];
    assert.equal(emoji.length, 20);
    for (const e of emoji) await react(p.nurse.client, m.id, e);
    await rejects(react(p.nurse.client, m.id, '😋'), 409, 'conflict');
    assert.equal((await react(p.nurse.client, m.id, '😀')).changed, false, 'an emoji already there is still fine');
    assert.equal((await react(p.provider.client, m.id, '😋')).changed, true, 'the limit is per person');
  });
});

describe('what a reaction may be', () => {
  test('exactly one emoji: skin tones, keycaps, flags and ZWJ sequences count as one; anything else is 422', async () => {
    const m = await send(p.provider.client, 'How are you feeling?');
    const accepted: [string, string][] = [
      ['👍🏽', '👍🏽'],
      ['👨‍👩‍👧‍👦', '👨‍👩‍👧‍👦'],
      ['🧑🏾‍🤝‍🧑🏻', '🧑🏾‍🤝‍🧑🏻'],
      // 35 bytes of UTF-8, 105 characters URL-encoded: among the longest emoji there are.
      ['👩🏻‍❤️‍💋‍👨🏼', '👩🏻‍❤️‍💋‍👨🏼'],
      ['🇫🇷', '🇫🇷'],
      ['#️⃣', '#️⃣'],
      ['1️⃣', '1️⃣'],
      ['🏴󠁧󠁢󠁥󠁮󠁧󠁿', '🏴󠁧󠁢󠁥󠁮󠁧󠁿'],
      ['☺', '☺️'],
      ['❤\uFE0E', '❤️'],
      ['🫠', '🫠'],
    ];
    for (const [sent, stored] of accepted) {
      const r = await react(p.patientA.client, m.id, sent);
      assert.ok(r.reactions.some((x) => x.emoji === stored && x.userIds.includes(p.patientA.id)), `${sent} should be accepted as ${stored}`);
    }
    const refused = ['a', 'ok', '👍👍', '👍 ', ' 👍', '🏽', '🇦', '1', '#', '\u200d', '😀\u200d', ':+1:', '<3', '👍\n', 'é'];
    for (const bad of refused) await rejects(react(p.patientA.client, m.id, bad), 422, 'invalid_emoji');
    await rejects(unreact(p.patientA.client, m.id, 'x'), 422, 'invalid_emoji');
    await rejects(react(p.patientA.client, m.id, '👍'.repeat(40)), 422, 'invalid_emoji');
    // Far longer than any emoji (over 64 characters): refused by the schema before anything else.
    await rejects(react(p.patientA.client, m.id, 'a'.repeat(100)), 400, 'validation_failed');
    const stored = await server.sql<{ emoji: string }>(`select emoji from message_reactions where message_id = $1 order by created_at`, [m.id]);
    assert.deepEqual(stored.rows.map((r) => r.emoji), accepted.map(([, s]) => s));
  });
});

describe('who may react where', () => {
  test('no reactions on retracted messages: staff get 409, the patient cannot tell the message exists', async () => {
    const m = await send(p.provider.client, 'Wrong patient, sorry');
    await react(p.nurse.client, m.id, '👀');
    await p.provider.client.call('messages.retract', { params: { threadId, messageId: m.id }, body: {} });
    await rejects(react(p.nurse.client, m.id, '👍'), 409, 'message_retracted');
    await rejects(unreact(p.nurse.client, m.id, '👀'), 409, 'message_retracted');
    await rejects(react(p.patientA.client, m.id, '👍'), 404, 'not_found');
    // Staff still see the message as it was, reactions included.
    const seen = await p.nurse.client.call('messages.get', { params: { threadId, messageId: m.id } });
    assert.equal(seen.retracted, true);
    assert.deepEqual(seen.reactions, [{ emoji: '👀', count: 1, userIds: [p.nurse.id] }]);
  });

  test("another patient's thread, staff of another care team, another organization, admins and compliance: 404", async () => {
    const m = await send(p.patientA.client, 'Only my care team');
    const bThread = (await p.patientB.client.call('threads.create', { body: { subject: 'B', topic: 'other' } })).id;
    const mB = await send(p.patientB.client, 'Patient B here', bThread);
    for (const c of [p.patientB.client, p.otherProvider.client, p.admin.client, p.compliance.client, other.provider.client, other.patientA.client, other.admin.client]) {
      await rejects(react(c, m.id, '👍'), 404, 'not_found');
      await rejects(unreact(c, m.id, '👍'), 404, 'not_found');
    }
    // A message of another thread named through a thread one may see, or a made-up id.
    await rejects(react(p.patientB.client, m.id, '👍', bThread), 404, 'not_found');
    await rejects(react(p.patientA.client, mB.id, '👍'), 404, 'not_found');
    await rejects(react(p.patientA.client, uuid(), '👍'), 404, 'not_found');
    await rejects(react(p.patientA.client, m.id, '👍', uuid()), 404, 'not_found');
    const rows = await server.sql(`select count(*)::int as n from message_reactions where message_id = any($1::uuid[])`, [[m.id, mB.id]]);
    assert.equal(rows.rows[0]!.n, 0, 'a refused reaction was stored');
  });

  test('internal threads: their participants react', async () => {
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Rota', participantIds: [p.nurse.id] } });
    const m = await send(p.nurse.client, 'I can take Friday', internal.id);
    assert.equal((await react(p.provider.client, m.id, '🙏', internal.id)).changed, true);
    await rejects(react(p.otherProvider.client, m.id, '🙏', internal.id), 404, 'not_found');
    await rejects(react(p.admin.client, m.id, '🙏', internal.id), 404, 'not_found');
  });
});

describe('live events and audit', () => {
  test('a reaction reaches the thread audience as message.reaction; a repeat sends nothing; outsiders get nothing', async () => {
    const patient = await listen(p.patientA.client);
    const nurse = await listen(p.nurse.client);
    const outsider = await listen(p.otherProvider.client);
    const otherPatient = await listen(p.patientB.client);
    try {
      const m = await send(p.patientA.client, 'My knee is better');
      await nurse.waitFor(isEvent('message.created', m.id));
      await react(p.provider.client, m.id, '🎉');
      for (const l of [patient, nurse]) {
        const f = await l.waitFor(isEvent('message.reaction', m.id));
        assert.equal(f.event.threadId, threadId);
        assert.equal(f.event.actorId, p.provider.id);
        assert.deepEqual(f.event.reaction, { userId: p.provider.id, emoji: '🎉', action: 'added' });
        assert.deepEqual(f.event.message?.reactions, [{ emoji: '🎉', count: 1, userIds: [p.provider.id] }]);
        assert.equal(f.event.message?.body, 'My knee is better');
      }
      await react(p.provider.client, m.id, '🎉');
      await unreact(p.provider.client, m.id, '🎉');
      const removed = await patient.waitFor((f) => f.type === 'event' && f.event.type === 'message.reaction' && f.event.reaction?.action === 'removed');
      assert.equal(removed.type === 'event' && removed.event.reaction?.emoji, '🎉');
      assert.deepEqual(removed.type === 'event' && removed.event.message?.reactions, []);
      await sleep(300);
      const reactionEvents = patient.events().filter((e) => e.type === 'message.reaction' && e.messageId === m.id);
      assert.equal(reactionEvents.length, 2, 'the repeated add sent an event');
      for (const l of [outsider, otherPatient]) assert.equal(l.events().length, 0, 'an event reached someone who may not see the thread');
    } finally {
      for (const l of [patient, nurse, outsider, otherPatient]) l.stream.close();
    }
  });

  test('a patient replaying the stream gets no reaction events of a message retracted since', async () => {
    const m = await send(p.provider.client, 'Retracted after a reaction');
    await react(p.nurse.client, m.id, '👀');
    const staff = await listen(p.provider.client, { cursor: '0' });
    try {
      await staff.waitFor(isEvent('message.reaction', m.id));
    } finally {
      staff.stream.close();
    }
    await p.provider.client.call('messages.retract', { params: { threadId, messageId: m.id }, body: {} });
    const replay = await listen(p.patientA.client, { cursor: '0' });
    try {
      await replay.waitFor(isEvent('message.retracted', m.id));
      assert.ok(!replay.events().some((e) => e.messageId === m.id && e.type === 'message.reaction'), 'the patient learned of a reaction to a retracted message');
      assert.ok(!JSON.stringify(replay.frames).includes('Retracted after a reaction'));
    } finally {
      replay.stream.close();
    }
  });

  test('every change is audited with who, which message and which emoji', async () => {
    const m = await send(p.provider.client, 'Audit me');
    await react(p.patientA.client, m.id, '👍');
    await react(p.patientA.client, m.id, '👍');
    await unreact(p.patientA.client, m.id, '👍');
    const added = await p.compliance.client.call('audit.list', { query: { action: 'reactions.add', actorId: p.patientA.id } });
    const mine = added.items.filter((e) => e.resourceId === m.id);
    assert.equal(mine.length, 2);
    assert.ok(mine.every((e) => e.patientId === p.patientA.id && e.details.emoji === '👍' && e.details.threadId === threadId));
    assert.deepEqual(mine.map((e) => e.details.changed).sort(), [false, true]);
    const removed = await p.compliance.client.call('audit.list', { query: { action: 'reactions.remove', actorId: p.patientA.id } });
    assert.ok(removed.items.some((e) => e.resourceId === m.id && e.details.changed === true));
    assert.ok(!JSON.stringify([...added.items, ...removed.items]).includes('Audit me'));
  });
});
