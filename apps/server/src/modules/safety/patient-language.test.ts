import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { HavenClient, Message } from '@haven/api';
import { addPatient, createPractice, rejects, startTestServer, uuid, type Member, type Practice, type TestServer, waitFor } from '../../../test/harness.js';
import { ManualClock } from '../../platform/time/clock.js';

// A patient who reads Haven in Spanish: the crisis check also reads their messages with the Spanish lexicon, and
// the automatic replies (crisis guidance, off-hours) and the composer's guidance come in Spanish. Tuesday 20:47 in
// New York: the practice (default hours) is closed.
const clock = new ManualClock('2026-11-25T01:47:00Z');
let server: TestServer;
let p: Practice;
let maria: Member;

before(async () => {
  server = await startTestServer({ slaSweepSeconds: 3600 }, { clock });
  p = await createPractice(server, 'idioma', { hours: 'default' });
  maria = await addPatient(server, p.slug, p.admin.client, 'Maria Idioma', [p.teamA.id]);
});
after(() => server.stop());

const history = async (c: HavenClient, threadId: string): Promise<Message[]> => (await c.call('messages.list', { params: { threadId } })).items;
const systemReply = (c: HavenClient, threadId: string) => waitFor('the automatic reply', async () => (await history(c, threadId)).find((m) => m.senderRole === 'system'));

describe('the language a person reads Haven in', () => {
  test('everyone sets their own; the session says it; anything else is refused; the change is audited', async () => {
    assert.equal((await maria.client.call('auth.session')).user.language, 'en');
    assert.deepEqual(await maria.client.call('me.language.update', { body: { language: 'es' } }), { language: 'es' });
    assert.equal((await maria.client.call('auth.session')).user.language, 'es');
    await rejects(maria.client.call('me.language.update', { body: { language: 'fr' as 'es' } }), 400, 'validation_failed');
    await rejects(maria.client.call('me.language.update', { body: { language: 'es', userId: p.patientA.id } as never }), 400, 'validation_failed');
    // Only their own: patient A still reads English.
    assert.equal((await p.patientA.client.call('auth.session')).user.language, 'en');
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'me.language.update' } });
    assert.ok(audit.items.some((e) => e.actorId === maria.id && e.resourceId === maria.id));
  });

  test('a Spanish crisis message from a Spanish-speaking patient: crisis guidance in Spanish at once, thread urgent', async () => {
    const thread = await maria.client.call('threads.create', { body: { subject: 'Esta noche', topic: 'clinical_question' } });
    await maria.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Ya no quiero vivir, no aguanto más.' } });
    const reply = await systemReply(maria.client, thread.id);
    assert.match(reply.body ?? '', /Leímos su mensaje/);
    assert.match(reply.body ?? '', /988/);
    assert.match(reply.body ?? '', /911/);
    assert.equal((await p.nurse.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.priority, 'urgent');
  });

  test('the same words from a patient who reads English are checked with the English lexicon only', async () => {
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Tonight', topic: 'clinical_question' } });
    await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Ya no quiero vivir, no aguanto más.' } });
    // Closed: the English off-hours reply comes, not crisis guidance.
    const reply = await systemReply(p.patientA.client, thread.id);
    assert.match(reply.body ?? '', /Our office is closed/);
    assert.notEqual((await p.nurse.client.call('threads.get', { params: { threadId: thread.id } })).workflow?.priority, 'urgent');
  });

  test('off-hours reply and composer guidance in Spanish; English crisis words still count for her', async () => {
    const routine = await maria.client.call('threads.create', { body: { subject: 'Receta', topic: 'prescription_refill' } });
    await maria.client.call('messages.create', { params: { threadId: routine.id }, body: { id: uuid(), body: 'Necesito más pastillas para la presión.' } });
    const reply = await systemReply(maria.client, routine.id);
    assert.match(reply.body ?? '', /Nuestra oficina está cerrada/);
    assert.match(reply.body ?? '', /miércoles/, 'the next opening is written in Spanish');
    const expectations = await maria.client.call('messaging.expectations', { query: { topic: 'prescription_refill' } });
    assert.match(expectations.urgentGuidance, /Los mensajes son para preguntas que pueden esperar/);
    assert.ok(expectations.crisisResources.some((r) => /Línea de Prevención/.test(r.name)));
    // People mix languages: an English crisis sentence from her is found too.
    const mixed = await maria.client.call('threads.create', { body: { subject: 'Ayuda', topic: 'clinical_question' } });
    await maria.client.call('messages.create', { params: { threadId: mixed.id }, body: { id: uuid(), body: "I don't want to be alive anymore." } });
    assert.match((await systemReply(maria.client, mixed.id)).body ?? '', /Leímos su mensaje/);
  });
});
