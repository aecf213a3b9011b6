import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { HavenClient, Template, TemplateCreate } from '@haven/api';
import { addPatient, addStaff, createPractice, rejects, startNode, startTestServer, uuid, type Member, type Practice, type TestServer } from '../../../test/harness.js';

// Templates and quick replies through the real server and the SDK: organization vs personal visibility, who manages
// what, the variable catalogue (unknown variables refused when saved), rendering for a thread (values, missing ones,
// no second expansion), Haven's defaults, and what patients, compliance and other organizations get.

let server: TestServer;
let p: Practice;
let other: Practice;
/** A patient of care team A with a recognizable name, and their thread. */
let maria: Member;
let mariaThread: string;

const canary = `Canary${randomBytes(4).toString('hex')}`;

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'tpl'), createPractice(server, 'tpl2')]);
  maria = await addPatient(server, 'tpl', p.admin.client, `${canary} da Silva`, [p.teamA.id]);
  mariaThread = (await maria.client.call('threads.create', { body: { subject: 'Refill', topic: 'prescription_refill' } })).id;
});
after(() => server.stop());

const create = (client: HavenClient, body: TemplateCreate) => client.call('templates.create', { body });
const names = (items: Template[]) => items.map((t) => t.name);
const render = (client: HavenClient, templateId: string, threadId: string, timeZone?: string) =>
  client.call('templates.render', { params: { templateId }, body: { threadId, ...(timeZone ? { timeZone } : {}) } });

describe('defaults', () => {
  test("an organization's first list adds Haven's quick replies once; an archived default does not come back", async () => {
    const fresh = await createPractice(server, 'tpldef');
    // Several people list at once: each default is added once.
    const lists = await Promise.all([fresh.admin.client, fresh.nurse.client, fresh.provider.client, fresh.otherProvider.client].map((c) => c.call('templates.list')));
    for (const l of lists) assert.equal(l.items.filter((t) => t.isDefault).length, 5);
    const defaults = lists[0]!.items;
    assert.ok(defaults.every((t) => t.kind === 'quick_reply' && t.scope === 'organization' && t.ownerId === null && t.createdBy === null && !t.archived));
    assert.deepEqual(names(defaults).sort(), ['Checking with the provider', 'Got it', 'If it is urgent', 'Message received', 'Thanks']);
    assert.equal(defaults.find((t) => t.name === 'Got it')!.body, 'Got it, thank you.');
    assert.deepEqual(defaults.find((t) => t.name === 'If it is urgent')!.variables, ['practice.phone']);
    const seeded = await server.sql<{ n: number }>(`select count(*)::int as n from message_templates where org_id = $1`, [fresh.orgId]);
    assert.equal(seeded.rows[0]!.n, 5);

    // Admins edit and archive them like any organization template.
    const thanks = defaults.find((t) => t.name === 'Thanks')!;
    await fresh.admin.client.call('templates.update', { params: { templateId: thanks.id }, body: { archived: true } });
    // Another process (which has not listed yet) does not add it again.
    const node = await startNode(server);
    try {
      const c = node.client();
      await c.login(fresh.slug, fresh.nurse.email, fresh.nurse.password);
      const again = await c.call('templates.list', { query: { kind: 'quick_reply' } });
      assert.deepEqual(names(again.items).sort(), ['Checking with the provider', 'Got it', 'If it is urgent', 'Message received']);
    } finally {
      await node.close();
    }
    const archived = await fresh.nurse.client.call('templates.list', { query: { archived: true } });
    assert.deepEqual(names(archived.items), ['Thanks']);
    const audit = await fresh.compliance.client.call('audit.list', { query: { action: 'templates.seed' } });
    assert.equal(audit.items.length, 1, 'the defaults were added (and audited) once');
  });
});

describe('organization and personal templates', () => {
  test('organization templates: admins manage, every provider and staff member sees and uses; personal ones: their owner only', async () => {
    const org = await create(p.admin.client, { scope: 'organization', name: 'Lab results ready', body: 'Hi {patient.firstName}, your lab results are ready to discuss.' });
    assert.equal(org.scope, 'organization');
    assert.equal(org.ownerId, null);
    assert.equal(org.kind, 'template');
    assert.equal(org.createdBy, p.admin.id);
    assert.deepEqual(org.variables, ['patient.firstName']);
    const mine = await create(p.provider.client, { scope: 'personal', name: 'My sign-off', body: 'Best, {staff.name}', kind: 'quick_reply' });
    assert.equal(mine.scope, 'personal');
    assert.equal(mine.ownerId, p.provider.id);

    for (const m of [p.nurse, p.provider, p.otherProvider, p.admin]) {
      const list = await m.client.call('templates.list');
      assert.ok(names(list.items).includes('Lab results ready'), `${m.role} sees the organization template`);
      assert.deepEqual(await m.client.call('templates.get', { params: { templateId: org.id } }), org);
    }
    // The personal template: its owner sees it; nobody else, admins included, can tell it exists.
    assert.ok(names((await p.provider.client.call('templates.list')).items).includes('My sign-off'));
    assert.deepEqual(names((await p.provider.client.call('templates.list', { query: { scope: 'personal' } })).items), ['My sign-off']);
    for (const m of [p.nurse, p.otherProvider, p.admin]) {
      assert.ok(!names((await m.client.call('templates.list')).items).includes('My sign-off'));
      await rejects(m.client.call('templates.get', { params: { templateId: mine.id } }), 404, 'not_found');
      await rejects(m.client.call('templates.update', { params: { templateId: mine.id }, body: { name: 'Taken over' } }), 404, 'not_found');
      await rejects(render(m.client, mine.id, mariaThread), m.role === 'admin' ? 403 : 404);
    }
    // Filters: scope and kind.
    assert.ok((await p.provider.client.call('templates.list', { query: { scope: 'organization' } })).items.every((t) => t.scope === 'organization'));
    assert.ok((await p.provider.client.call('templates.list', { query: { kind: 'quick_reply' } })).items.every((t) => t.kind === 'quick_reply'));
    assert.deepEqual((await p.admin.client.call('templates.list', { query: { scope: 'personal' } })).items, [], 'admins keep no personal templates');
  });

  test('who manages what: staff cannot touch organization templates, admins cannot keep personal ones', async () => {
    await rejects(create(p.nurse.client, { scope: 'organization', name: 'Nurse org', body: 'x' }), 403, 'forbidden');
    await rejects(create(p.provider.client, { scope: 'organization', name: 'Provider org', body: 'x' }), 403, 'forbidden');
    await rejects(create(p.admin.client, { scope: 'personal', name: 'Admin personal', body: 'x' }), 403, 'forbidden');
    const org = await create(p.admin.client, { scope: 'organization', name: 'Office hours', body: 'We are open 8 to 5.' });
    await rejects(p.nurse.client.call('templates.update', { params: { templateId: org.id }, body: { body: 'We never close.' } }), 403, 'forbidden');
    const edited = await p.admin.client.call('templates.update', { params: { templateId: org.id }, body: { body: 'We are open 8 to 6. Call {practice.phone}.', kind: 'quick_reply' } });
    assert.equal(edited.body, 'We are open 8 to 6. Call {practice.phone}.');
    assert.equal(edited.kind, 'quick_reply');
    assert.equal(edited.name, 'Office hours', 'fields not sent stay');
    assert.deepEqual(edited.variables, ['practice.phone']);
    assert.ok(edited.updatedAt >= org.updatedAt);

    const personal = await create(p.nurse.client, { scope: 'personal', name: 'Nurse line', body: 'The nurse line is open.' });
    const renamed = await p.nurse.client.call('templates.update', { params: { templateId: personal.id }, body: { name: '  Nurse   line (weekdays) ' } });
    assert.equal(renamed.name, 'Nurse line (weekdays)', 'names are one line, spaces collapsed');

    // Archive and restore: archived templates leave the list (and cannot be rendered), the archived list has them.
    await p.admin.client.call('templates.update', { params: { templateId: org.id }, body: { archived: true } });
    assert.ok(!names((await p.nurse.client.call('templates.list')).items).includes('Office hours'));
    assert.ok(names((await p.nurse.client.call('templates.list', { query: { archived: true } })).items).includes('Office hours'));
    assert.equal((await p.nurse.client.call('templates.get', { params: { templateId: org.id } })).archived, true);
    await rejects(render(p.nurse.client, org.id, mariaThread), 404, 'not_found');
    // A name is unique among the templates in use of its scope: a new "Office hours" may take the archived one's name...
    const second = await create(p.admin.client, { scope: 'organization', name: 'office HOURS', body: 'New hours.' });
    // ...so the archived one cannot come back under it, until renamed.
    await rejects(p.admin.client.call('templates.update', { params: { templateId: org.id }, body: { archived: false } }), 409, 'conflict');
    const restored = await p.admin.client.call('templates.update', { params: { templateId: org.id }, body: { archived: false, name: 'Office hours (old)' } });
    assert.equal(restored.archived, false);
    await rejects(create(p.admin.client, { scope: 'organization', name: 'Office Hours', body: 'dup' }), 409, 'conflict');
    // The same name in another scope is fine.
    await create(p.nurse.client, { scope: 'personal', name: 'Office hours', body: 'My own wording.' });
    assert.ok(second.id);

    const audit = await p.compliance.client.call('audit.list', { query: { action: 'templates.update' } });
    assert.ok(audit.items.some((e) => e.resourceId === org.id && e.actorId === p.admin.id));
    assert.ok(!JSON.stringify(audit.items).includes('We are open'), 'the audit trail holds no template text');
  });

  test('topics: a template for a topic is offered for that topic; unknown topics are refused', async () => {
    const billing = await create(p.admin.client, { scope: 'organization', name: 'Billing office', body: 'Billing questions go to our billing office.', topic: 'billing' });
    assert.equal(billing.topic, 'billing');
    const forBilling = names((await p.nurse.client.call('templates.list', { query: { topic: 'billing' } })).items);
    const forScheduling = names((await p.nurse.client.call('templates.list', { query: { topic: 'scheduling' } })).items);
    assert.ok(forBilling.includes('Billing office') && forBilling.includes('Got it'), 'topic templates and templates for any topic');
    assert.ok(!forScheduling.includes('Billing office') && forScheduling.includes('Got it'));
    await rejects(create(p.admin.client, { scope: 'organization', name: 'Bad topic', body: 'x', topic: 'astrology' }), 400, 'validation_failed');
    const cleared = await p.admin.client.call('templates.update', { params: { templateId: billing.id }, body: { topic: null } });
    assert.equal(cleared.topic, null);
  });

  test('unknown variables are refused when saved (422 naming them); braces around anything else are text', async () => {
    const problem = await p.admin.client.call('templates.create', { body: { scope: 'organization', name: 'Typo', body: 'Hi {patient.fristName}, see {practice.adress} and {patient.firstName}.' } }).then(
      () => assert.fail('saved a template with unknown variables'),
      (err: { status: number; code: string; problem: { detail?: string; errors?: { path: string; message: string }[] } }) => err,
    );
    assert.equal(problem.status, 422);
    assert.equal(problem.code, 'unknown_template_variable');
    assert.match(problem.problem.detail!, /\{patient\.fristName\}, \{practice\.adress\}/);
    assert.match(problem.problem.detail!, /known: .*\{patient\.firstName\}/);
    assert.deepEqual(problem.problem.errors?.map((e) => e.message), ['unknown variable {patient.fristName}', 'unknown variable {practice.adress}']);
    await rejects(create(p.nurse.client, { scope: 'personal', name: 'Case', body: 'Hi {Patient.FirstName}' }), 422, 'unknown_template_variable');
    await rejects(create(p.nurse.client, { scope: 'personal', name: 'Doctor', body: 'Dr. {doctor}' }), 422, 'unknown_template_variable');
    const ok = await create(p.nurse.client, { scope: 'personal', name: 'Literal braces', body: 'Fill in the form { see below } and {1}, {} or {patient. firstName}.' });
    assert.deepEqual(ok.variables, []);
    await rejects(p.nurse.client.call('templates.update', { params: { templateId: ok.id }, body: { body: 'Now {staff.nmae}' } }), 422, 'unknown_template_variable');
    await rejects(create(p.nurse.client, { scope: 'personal', name: 'Too many', body: '{today} '.repeat(51) }), 400, 'validation_failed');
    await rejects(create(p.nurse.client, { scope: 'personal', name: ' \u200b ', body: 'x' }), 400, 'validation_failed');

    const catalogue = await p.nurse.client.call('templates.variables');
    assert.deepEqual(
      catalogue.items.map((v) => v.name),
      ['patient.firstName', 'patient.name', 'provider.name', 'staff.name', 'practice.name', 'practice.phone', 'today'],
    );
    assert.ok(catalogue.items.every((v) => v.description.length > 0 && v.example.length > 0));
  });
});

describe('rendering for a thread', () => {
  test('fills the variables; without a practice phone it keeps the placeholder and names it in missing', async () => {
    const t = await create(p.admin.client, {
      scope: 'organization',
      name: 'Full introduction',
      body: 'Hi {patient.firstName} ({patient.name}), this is {staff.name} at {practice.name}. {provider.name} will call you. Questions: {practice.phone}. {patient.firstName}, today is {today}.',
    });
    const tz = 'Pacific/Kiritimati';
    const today = new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', year: 'numeric', timeZone: tz }).format(new Date());
    const without = await render(p.nurse.client, t.id, mariaThread, tz);
    assert.equal(without.templateId, t.id);
    assert.equal(without.threadId, mariaThread);
    assert.equal(
      without.text,
      `Hi ${canary} (${canary} da Silva), this is Nurse A tpl at Practice tpl. Dr A tpl will call you. Questions: {practice.phone}. ${canary}, today is ${today}.`,
    );
    assert.deepEqual(without.missing, ['practice.phone']);

    const org = await p.admin.client.call('organization.update', { body: { practicePhone: '+1 (555) 010-0199 ext. 12' } });
    assert.equal(org.practicePhone, '+1 (555) 010-0199 ext. 12');
    assert.equal((await p.nurse.client.call('organization.get')).practicePhone, '+1 (555) 010-0199 ext. 12');
    const withPhone = await render(p.provider.client, t.id, mariaThread);
    assert.match(withPhone.text, /this is Dr A tpl at Practice tpl\. Dr A tpl will call you\. Questions: \+1 \(555\) 010-0199 ext\. 12\./);
    assert.deepEqual(withPhone.missing, []);
    await rejects(p.admin.client.call('organization.update', { body: { practicePhone: 'call the front desk' } }), 400, 'validation_failed');
    await rejects(p.nurse.client.call('organization.update', { body: { practicePhone: '555-0100' } }), 403, 'forbidden');
    await p.admin.client.call('organization.update', { body: { practicePhone: null } });
    assert.deepEqual((await render(p.nurse.client, t.id, mariaThread)).missing, ['practice.phone']);

    await rejects(render(p.nurse.client, t.id, mariaThread, 'Mars/Olympus_Mons'), 400, 'validation_failed');

    // The rendered text (it holds the patient's name) is audited as a read of the patient's record, never logged.
    const audit = await p.compliance.client.call('audit.list', { query: { action: 'templates.render', patientId: maria.id } });
    assert.ok(audit.items.length >= 3);
    assert.ok(audit.items.every((e) => e.resourceId === t.id && e.patientId === maria.id));
    assert.ok(!JSON.stringify(audit.items).includes(canary), 'the audit trail holds a rendered name');
    assert.ok(server.logs.length > 0);
    assert.ok(!server.logs.some((l) => l.includes(canary)), 'a rendered name reached the log');
    const stored = await server.sql(`select count(*)::int as n from message_templates where body like $1`, [`%${canary}%`]);
    assert.equal(stored.rows[0]!.n, 0, 'rendered text was stored');
  });

  test("{provider.name}: the first active provider of the patient's care teams by name, and the hook that replaces it", async () => {
    const t = await create(p.admin.client, { scope: 'organization', name: 'Provider only', body: 'Your provider is {provider.name}.' });
    assert.equal((await render(p.nurse.client, t.id, mariaThread)).text, 'Your provider is Dr A tpl.');
    // A provider whose name sorts first joins care team A; then leaves (deactivated): the next one by name answers.
    const aaron = await addStaff(server, 'tpl', p.admin.client, 'provider', 'Aaron Zimmer');
    await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: aaron.id } });
    assert.equal((await render(p.nurse.client, t.id, mariaThread)).text, 'Your provider is Aaron Zimmer.');
    await p.admin.client.call('users.deactivate', { params: { id: aaron.id } });
    assert.equal((await render(p.nurse.client, t.id, mariaThread)).text, 'Your provider is Dr A tpl.');

    // Thread assignment plugs in here: the assignee when there is one, else the default.
    const seen: string[] = [];
    server.services.templates.useResponsibleProvider(async (thread, fallback) => {
      seen.push(thread.threadId);
      return thread.threadId === mariaThread ? p.otherProvider.id : fallback(thread);
    });
    try {
      assert.equal((await render(p.nurse.client, t.id, mariaThread)).text, 'Your provider is Dr B tpl.');
      assert.deepEqual(seen, [mariaThread]);
    } finally {
      server.services.templates.useResponsibleProvider((thread, fallback) => fallback(thread));
    }
    // No active provider on the patient's care teams: no value.
    await p.admin.client.call('careTeams.members.remove', { params: { id: p.teamA.id, userId: p.provider.id } });
    try {
      const r = await render(p.nurse.client, t.id, mariaThread);
      assert.equal(r.text, 'Your provider is {provider.name}.');
      assert.deepEqual(r.missing, ['provider.name']);
    } finally {
      await p.admin.client.call('careTeams.members.add', { params: { id: p.teamA.id }, body: { userId: p.provider.id } });
    }
  });

  test('internal threads have no patient; a value that looks like a variable stays text', async () => {
    const t = await create(p.provider.client, { scope: 'personal', name: 'Handover', body: 'Hi {patient.firstName}, {staff.name} here.' });
    const internal = await p.provider.client.call('threads.create', { body: { kind: 'internal', subject: 'Handover', participantIds: [p.nurse.id] } });
    const r = await render(p.provider.client, t.id, internal.id);
    assert.equal(r.text, 'Hi {patient.firstName}, Dr A tpl here.');
    assert.deepEqual(r.missing, ['patient.firstName']);

    const tricky = await p.admin.client.call('patients.create', { body: { email: 'braces@patients.tpl.test', name: '{staff.name} {practice.phone}', careTeamIds: [p.teamA.id] } });
    const trickyThread = await p.nurse.client.call('threads.create', { body: { subject: 'Braces', topic: 'other', patientId: tricky.id } });
    const named = await create(p.admin.client, { scope: 'organization', name: 'Name only', body: 'Dear {patient.name}, from {staff.name}' });
    const out = await render(p.nurse.client, named.id, trickyThread.id);
    assert.equal(out.text, 'Dear {staff.name} {practice.phone}, from Nurse A tpl');
    assert.deepEqual(out.missing, []);
    // The composer sends the text as an ordinary message.
    const sent = await p.nurse.client.call('messages.create', { params: { threadId: trickyThread.id }, body: { id: uuid(), body: out.text } });
    assert.equal(sent.body, out.text);
  });
});

describe('who may not', () => {
  test('patients and compliance officers get 403 for everything; admins cannot render', async () => {
    const t = await create(p.admin.client, { scope: 'organization', name: 'For the matrix of refusals', body: 'Hello {patient.firstName}' });
    for (const m of [maria, p.patientB, p.compliance]) {
      await rejects(m.client.call('templates.list'), 403, 'forbidden');
      await rejects(m.client.call('templates.variables'), 403, 'forbidden');
      await rejects(m.client.call('templates.get', { params: { templateId: t.id } }), 403, 'forbidden');
      await rejects(create(m.client, { scope: 'personal', name: 'Mine', body: 'x' }), 403, 'forbidden');
      await rejects(create(m.client, { scope: 'organization', name: 'Ours', body: 'x' }), 403, 'forbidden');
      await rejects(m.client.call('templates.update', { params: { templateId: t.id }, body: { name: 'x' } }), 403, 'forbidden');
      await rejects(render(m.client, t.id, mariaThread), 403, 'forbidden');
    }
    await rejects(render(p.admin.client, t.id, mariaThread), 403, 'forbidden');
    // Staff who may not see the thread: 404, as for any thread they cannot see.
    await rejects(render(p.otherProvider.client, t.id, mariaThread), 404, 'not_found');
    await rejects(render(p.nurse.client, t.id, uuid()), 404, 'not_found');
  });

  test('another organization: its templates are 404, and never listed', async () => {
    const t = await create(p.admin.client, { scope: 'organization', name: 'Org A only', body: 'Org A wording' });
    const bThread = await other.patientA.client.call('threads.create', { body: { subject: 'B', topic: 'other' } });
    await rejects(other.provider.client.call('templates.get', { params: { templateId: t.id } }), 404, 'not_found');
    await rejects(other.admin.client.call('templates.update', { params: { templateId: t.id }, body: { name: 'Stolen' } }), 404, 'not_found');
    await rejects(render(other.provider.client, t.id, bThread.id), 404, 'not_found');
    await rejects(render(other.provider.client, t.id, mariaThread), 404, 'not_found');
    assert.ok(!names((await other.provider.client.call('templates.list')).items).includes('Org A only'));
    assert.ok(!names((await other.admin.client.call('templates.list', { query: { archived: true } })).items).includes('Org A only'));
    // A template of org B rendered into an org A thread by org A staff: 404 (the template is not theirs).
    const bt = await create(other.admin.client, { scope: 'organization', name: 'Org B only', body: 'B' });
    await rejects(render(p.nurse.client, bt.id, mariaThread), 404, 'not_found');
    assert.equal((await p.admin.client.call('templates.get', { params: { templateId: t.id } })).name, 'Org A only');
  });
});
