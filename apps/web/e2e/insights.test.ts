// Browser tests of the analytics page (practice admins) and the compliance page (audit trail, integrity check)
// against the real Haven server (see support.ts): each role in its own browser context, axe-core on every page and
// state, and the server's answer checked through the SDK.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { createPractice, rejects, uuid, type Practice } from '../../server/test/harness.js';
import * as e2e from './support.js';
import { axe, shot, WAIT } from './support.js';

let env: e2e.E2E;
let practice: Practice;

const newContext = (problems: string[]) => e2e.newContext(env, problems);
const signIn = (page: Page, email: string, password: string) => e2e.signIn(page, practice.slug, email, password);

/** Disables the audit table's append-only trigger for one statement, as an attacker with database access could. */
async function tamper(statement: string, values: unknown[]): Promise<void> {
  await env.server.sql('alter table audit_events disable trigger audit_events_append_only');
  try {
    await env.server.sql(statement, values);
  } finally {
    await env.server.sql('alter table audit_events enable trigger audit_events_append_only');
  }
}

/** Answers the next request to `pattern` with a validation problem about one field, as the server words them. */
async function refuseOnce(page: Page, pattern: string, path: string, message: string): Promise<void> {
  await page.route(
    pattern,
    (route) =>
      route.fulfill({
        status: 400,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'The request is not valid', status: 400, code: 'validation_failed', detail: 'The request is not valid', errors: [{ path, message }] }),
      }),
    { times: 1 },
  );
}

/** The data rows of the audit table as the page shows them. */
async function auditRows(page: Page): Promise<{ action: string; actor: string }[]> {
  return page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => ({ action: r.getAttribute('data-action') ?? '', actor: r.getAttribute('data-actor') ?? '' })));
}

describe('analytics and compliance pages in Chromium', { timeout: 280_000 }, () => {
  before(async () => {
    env = await e2e.startE2E();
    practice = await createPractice(env.server, 'insights');
    // Some care to count: patient A writes twice (a health question, a bill) and the nurse answers both; patient B's
    // question is not answered yet.
    for (const [subject, topic] of [
      ['Rash on my arm', 'clinical_question'],
      ['Question about my bill', 'billing'],
    ] as const) {
      const thread = await practice.patientA.client.call('threads.create', { body: { subject, topic } });
      await practice.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: `Hello, about: ${subject}` } });
      await practice.nurse.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'Thanks, we are on it.' } });
    }
    const waiting = await practice.patientB.client.call('threads.create', { body: { subject: 'Refill please', topic: 'prescription_refill' } });
    await practice.patientB.client.call('messages.create', { params: { threadId: waiting.id }, body: { id: uuid(), body: 'Can I get a refill?' } });
  });
  after(async () => {
    await env?.browser.close();
    await env?.server.stop();
  });

  test('a compliance officer lands on the audit trail, filters it, verifies the chain, and sees where a tampered chain breaks', async () => {
    const problems: string[] = [];
    const { page, urls } = await newContext(problems);
    try {
      await signIn(page, practice.compliance.email, practice.compliance.password);
      await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor({ timeout: WAIT });
      assert.equal(new URL(page.url()).pathname, '/staff/compliance', 'the start page of compliance is the audit trail');
      await page.getByTestId('audit-row').first().waitFor({ timeout: WAIT });
      // Their own sign-in is in the trail, marked as theirs.
      await page.getByTestId('audit-row').filter({ hasText: 'auth.login' }).filter({ hasText: '(you)' }).first().waitFor({ timeout: WAIT });
      // No inbox for compliance: the header links to the audit trail only.
      const header = page.locator('header');
      assert.equal(await header.getByRole('link', { name: /Inbox/ }).count(), 0, 'no inbox link');
      assert.equal(await header.getByRole('link', { name: 'Analytics' }).count(), 0, 'no analytics link');
      await header.getByRole('link', { name: 'Audit trail', exact: true }).waitFor({ timeout: WAIT });
      await axe(page, 'compliance page, the audit trail');

      // The trail gives identifiers and outcomes, never message text.
      const text = await page.evaluate(() => document.body.innerText);
      for (const secret of ['Rash on my arm', 'Hello, about', 'we are on it', 'Can I get a refill']) assert.ok(!text.includes(secret), `the audit page shows message text: ${secret}`);

      // A wrong id is refused next to its field, before any request.
      await page.getByLabel('User id').fill('not-an-id');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText(/This is not an id/).waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('User id').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('User id').evaluate((el) => el === document.activeElement), true, 'focus moves to the field to fix');
      await axe(page, 'compliance page, a filter with an error');

      // A refusal from the API is shown beside the field it names; what was typed stays.
      await refuseOnce(page, '**/api/v1/audit/events?*', '/query/action', 'must match pattern "^[A-Za-z_.]+$"');
      await page.getByLabel('User id').fill('');
      await page.getByLabel('Action').fill('auth.login');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('Please check this value. (must match pattern "^[A-Za-z_.]+$")').waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('Action').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('Action').inputValue(), 'auth.login');
      await page.getByLabel('Action').fill('');

      // Filter by user: the nurse's events only, as many as the API gives.
      await page.getByLabel('User id').fill(practice.nurse.id);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('1 filter applied').waitFor({ timeout: WAIT });
      const byNurse = await auditRows(page);
      const apiByNurse = await practice.compliance.client.call('audit.list', { query: { actorId: practice.nurse.id, limit: 50 } });
      assert.ok(byNurse.length > 0, 'the nurse has events');
      assert.ok(byNurse.every((r) => r.actor === practice.nurse.id), 'only the nurse');
      assert.equal(byNurse.length, apiByNurse.items.length);
      // And by action as well: the nurse's two answers.
      await page.getByLabel('Action').fill('messages.create');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('2 filters applied').waitFor({ timeout: WAIT });
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="audit-row"]')].every((r) => r.getAttribute('data-action') === 'messages.create'), undefined, { timeout: WAIT });
      const answers = await auditRows(page);
      assert.equal(answers.length, 2, 'the nurse answered twice');
      assert.ok(answers.every((r) => r.action === 'messages.create' && r.actor === practice.nurse.id));
      await axe(page, 'compliance page, filtered by user and action');
      await shot(page, 'compliance-audit-trail');

      // "Only this patient" from a row: the filter by patient.
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByTestId('audit-row').first().waitFor({ timeout: WAIT });
      await page.getByLabel('Action').fill('threads.create');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('1 filter applied').waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: `Show only events about patient ${practice.patientB.id}` }).first().click();
      await page.getByText('2 filters applied').waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('Patient id').inputValue(), practice.patientB.id);
      assert.equal((await auditRows(page)).length, 1, "patient B's one conversation");

      // Verify: intact.
      await page.getByRole('button', { name: 'Verify integrity' }).click();
      const result = page.getByTestId('verify-result');
      await result.getByText('The audit trail is intact.').waitFor({ timeout: WAIT });
      const ok = await practice.compliance.client.call('audit.verify');
      assert.equal(ok.ok, true);
      await axe(page, 'compliance page, the chain verified');
      await shot(page, 'compliance-verify-ok');

      // Someone with database access changes an event: the check says where the chain breaks.
      await tamper("update audit_events set address = '203.0.113.66' where org_id = $1 and seq = 3", [practice.orgId]);
      await page.getByRole('button', { name: 'Verify integrity' }).click();
      await result.getByText('The audit trail has been changed.').waitFor({ timeout: WAIT });
      await result.getByText('The chain breaks at event 3.').waitFor({ timeout: WAIT });
      await result.getByText('What the check found: Event 3 was changed after it was written.').waitFor({ timeout: WAIT });
      const broken = await practice.compliance.client.call('audit.verify');
      assert.equal(broken.ok, false);
      assert.equal(broken.firstBadSeq, 3);
      await axe(page, 'compliance page, a broken chain');
      await shot(page, 'compliance-verify-broken');

      // In Spanish: the page and the server's reason in the reader's language.
      await page.getByLabel('Language').selectOption('es');
      await page.getByRole('heading', { level: 1, name: 'Registro de auditoría' }).waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: 'Verificar la integridad' }).click();
      await result.getByText('La cadena se rompe en el evento 3.').waitFor({ timeout: WAIT });
      await result.getByText('Lo que encontró la verificación: El evento 3 se cambió después de escribirse.').waitFor({ timeout: WAIT });
      await axe(page, 'compliance page in Spanish, a broken chain');
      await page.getByLabel('Idioma').selectOption('en');
      await page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor({ timeout: WAIT });

      // At 200 % zoom (half the width) the page reflows; the table scrolls inside its own region.
      await page.setViewportSize({ width: 640, height: 900 });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling of the page');
      await axe(page, 'compliance page at 640 px wide');
      await page.setViewportSize({ width: 1280, height: 900 });

      // Pagination by cursor: more events than one page (each read of the trail is itself an audited event).
      for (let i = 0; i < 55; i++) await practice.compliance.client.call('audit.list', { query: { limit: 1 } });
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByText('50 events shown').waitFor({ timeout: WAIT });
      await page.getByRole('button', { name: 'Show more events' }).click();
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length > 50, undefined, { timeout: WAIT });
      const seqs = await page.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.querySelector('td')?.textContent ?? ''));
      assert.equal(new Set(seqs).size, seqs.length, 'no event twice');

      for (const url of urls) assert.ok(!decodeURIComponent(url).includes('Rash on my arm'), `a URL carries a subject: ${url}`);
      assert.deepEqual(problems, []);
    } finally {
      await page.context().close();
    }
  });

  test('an admin sees analytics with charts and a table, changes the grouping, and downloads the CSV', async () => {
    const problems: string[] = [];
    const { page, urls } = await newContext(problems);
    try {
      await signIn(page, practice.admin.email, practice.admin.password);
      await page.locator('header').getByRole('link', { name: 'Analytics' }).click();
      await page.getByRole('heading', { level: 1, name: 'Care analytics' }).waitFor({ timeout: WAIT });
      assert.equal(await page.locator('header').getByRole('link', { name: 'Audit trail' }).count(), 0, 'admins do not read the audit trail');
      const table = page.getByTestId('analytics-table');
      const nurseRow = table.getByRole('row', { name: new RegExp(`Nurse A insights`) });
      await nurseRow.waitFor({ timeout: WAIT });
      // The nurse answered 2 of 2; patient B's question waits.
      assert.deepEqual((await nurseRow.getByRole('cell').allInnerTexts()).slice(0, 2), ['2', '2']);
      const waitingRow = table.getByRole('row', { name: /Not answered yet/ });
      assert.deepEqual((await waitingRow.getByRole('cell').allInnerTexts()).slice(0, 2), ['1', '0']);
      const summary = page.getByTestId('analytics-summary');
      await summary.getByText('Conversations').waitFor({ timeout: WAIT });
      assert.match(await summary.innerText(), /Conversations\s*3/);
      // Three SVG charts, each named, with the numbers in the table.
      const charts = page.locator('svg.chart[role="img"]');
      assert.equal(await charts.count(), 3);
      assert.deepEqual(await charts.evaluateAll((cs) => cs.map((c) => c.getAttribute('aria-label'))), ['Time to first answer', 'Conversations', 'Answers on time']);
      await axe(page, 'analytics page, by who answered first');
      await shot(page, 'analytics');

      // The server's report for the same days.
      const from = await page.getByLabel('From').inputValue();
      const to = await page.getByLabel('To (included)').inputValue();
      const start = new Date(`${from}T00:00:00`);
      const end = new Date(`${to}T00:00:00`);
      end.setDate(end.getDate() + 1);
      const report = await practice.admin.client.call('analytics.report', { query: { from: start.toISOString(), to: end.toISOString(), groupBy: 'staff' } });
      assert.equal(report.rows.find((r) => r.key === practice.nurse.id)?.threads, 2);

      // The CSV, through the SDK with the session: its content is the report.
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.getByRole('button', { name: 'Download as CSV' }).click()]);
      assert.match(download.suggestedFilename(), /^haven-analytics-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}-staff\.csv$/);
      const csv = await readFile((await download.path())!, 'utf8');
      const lines = csv.trim().split(/\r?\n/);
      assert.equal(lines[0], 'key,label,threads,answered,first_response_median_min,first_response_p90_min,resolution_median_min,resolution_p90_min,responses,late_responses,sla_adherence,off_hours_messages,crisis_alerts');
      const nurseLine = lines.find((l) => l.startsWith(`${practice.nurse.id},`));
      assert.ok(nurseLine, 'the nurse is in the CSV');
      assert.match(nurseLine, /^[^,]+,Nurse A insights,2,2,/);
      assert.ok(lines.some((l) => /^unanswered,[^,]*,1,0,/.test(l)), 'the unanswered conversation is in the CSV');
      await page.getByText(/The file haven-analytics-.*\.csv was downloaded\./).waitFor({ timeout: WAIT });
      // The export URL carries dates and the grouping only.
      const exportUrl = urls.find((u) => u.includes('/api/v1/analytics/export'));
      assert.ok(exportUrl);
      assert.deepEqual([...new URL(exportUrl).searchParams.keys()].sort(), ['from', 'groupBy', 'to']);

      // By topic.
      await page.getByLabel('Group by').selectOption('topic');
      await page.getByRole('button', { name: 'Show report' }).click();
      await table.getByRole('row', { name: /Bills and payments/ }).waitFor({ timeout: WAIT });
      await table.getByRole('row', { name: /A question about my health/ }).waitFor({ timeout: WAIT });
      await table.getByRole('row', { name: /Medicine refill/ }).waitFor({ timeout: WAIT });
      await axe(page, 'analytics page, by topic');

      // By week: the period shows up.
      await page.getByLabel('Group by').selectOption('period');
      await page.getByLabel('Time step').selectOption('week');
      await page.getByRole('button', { name: 'Show report' }).click();
      await page.getByText(/grouped by Time/).waitFor({ timeout: WAIT });
      await axe(page, 'analytics page, by week');

      // A refusal from the API is shown beside the field it names (the server's own range check).
      await refuseOnce(page, '**/api/v1/analytics?*', '/query/to', 'invalid range');
      await page.getByRole('button', { name: 'Show report' }).click();
      await page.getByText('Please check this value. (invalid range)').waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('To (included)').getAttribute('aria-invalid'), 'true');

      // An end before the start: said next to the field, nothing lost, the last report still shown.
      await page.getByLabel('To (included)').fill('2020-01-01');
      await page.getByRole('button', { name: 'Show report' }).click();
      await page.getByText('The end date must be on or after the start date.').waitFor({ timeout: WAIT });
      assert.equal(await page.getByLabel('To (included)').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByLabel('To (included)').inputValue(), '2020-01-01');
      assert.equal(await page.getByLabel('Group by').inputValue(), 'period');
      assert.ok((await table.count()) === 1, 'the last report stays');
      await axe(page, 'analytics page, a range error');

      // At 200 % zoom (half the width): the page reflows; the wide table scrolls inside its own focusable region.
      await page.setViewportSize({ width: 640, height: 900 });
      await page.getByLabel('Group by').selectOption('staff');
      await page.getByRole('button', { name: 'Last 30 days' }).click();
      await nurseRow.waitFor({ timeout: WAIT });
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no sideways scrolling of the page');
      await axe(page, 'analytics page at 640 px wide');
      await shot(page, 'analytics-narrow');

      // Nothing in storage.
      assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), []);
      assert.deepEqual(problems, []);
    } finally {
      await page.context().close();
    }
  });

  test('a provider is refused both pages, and so is the API; admins and compliance only get their own', async () => {
    const problems: string[] = [];
    const { page, urls } = await newContext(problems);
    try {
      await signIn(page, practice.provider.email, practice.provider.password);
      await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor({ timeout: WAIT });
      const header = page.locator('header');
      assert.equal(await header.getByRole('link', { name: 'Analytics' }).count(), 0);
      assert.equal(await header.getByRole('link', { name: 'Audit trail' }).count(), 0);
      await page.goto('/staff/analytics');
      await page.getByRole('heading', { level: 1, name: 'Only practice admins can see analytics.' }).waitFor({ timeout: WAIT });
      assert.equal(await page.getByTestId('analytics-table').count(), 0);
      await axe(page, 'analytics page refused to a provider');
      await page.goto('/staff/compliance');
      await page.getByRole('heading', { level: 1, name: 'Only compliance officers can see the audit trail.' }).waitFor({ timeout: WAIT });
      assert.equal(await page.getByTestId('audit-table').count(), 0);
      await axe(page, 'compliance page refused to a provider');
      // The pages asked the API for nothing; the API refuses anyway.
      assert.ok(!urls.some((u) => /\/api\/v1\/(analytics|audit)/.test(u)), 'no analytics or audit request');
      const today = new Date();
      const query = { from: new Date(today.getTime() - 86_400_000).toISOString(), to: today.toISOString() };
      await rejects(practice.provider.client.call('analytics.report', { query }), 403);
      await rejects(practice.provider.client.downloadAnalyticsCsv(query), 403);
      await rejects(practice.provider.client.call('audit.list', { query: {} }), 403);
      await rejects(practice.provider.client.call('audit.verify'), 403);
      // Each of the two roles gets its own page only (the policy: analytics for admins, the trail for compliance).
      await rejects(practice.admin.client.call('audit.list', { query: {} }), 403);
      await rejects(practice.compliance.client.call('analytics.report', { query }), 403);
      assert.deepEqual(problems, []);
    } finally {
      await page.context().close();
    }
    const other = await newContext(problems);
    try {
      await signIn(other.page, practice.compliance.email, practice.compliance.password);
      await other.page.getByRole('heading', { level: 1, name: 'Audit trail' }).waitFor({ timeout: WAIT });
      await other.page.goto('/staff/analytics');
      await other.page.getByRole('heading', { level: 1, name: 'Only practice admins can see analytics.' }).waitFor({ timeout: WAIT });
      assert.deepEqual(problems, []);
    } finally {
      await other.context.close();
    }
  });
});
