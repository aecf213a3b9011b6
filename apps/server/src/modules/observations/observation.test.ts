import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { FHIR_IMPORT_MAX_ENTRIES, HavenApiError, type FhirBundleInput, type HavenClient, type ObservationContext } from '@haven/api';
import { createPractice, rejects, startTestServer, uuid, type Practice, type TestServer } from '../../../test/harness.js';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';
const DAY = 86_400_000;

let server: TestServer;
let p: Practice;
let other: Practice;

before(async () => {
  server = await startTestServer();
  [p, other] = await Promise.all([createPractice(server, 'obs'), createPractice(server, 'obs2')]);
});
after(() => server?.stop());

// ---- FHIR builders ------------------------------------------------------------------------------------------------

type Resource = Record<string, unknown>;
const code = (c: string, system = LOINC) => ({ coding: [{ system, code: c }] });
const qty = (value: number, unit: string) => ({ value, system: UCUM, code: unit });
/** An ISO time `daysAgo` days before now (at a fixed hour so consecutive days are distinct). */
const ago = (daysAgo: number, hour = 9): string => {
  const d = new Date(Date.now() - daysAgo * DAY);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};
const observation = (metricCode: string, value: number, unit: string, extra: Resource = {}): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: code(metricCode),
  valueQuantity: qty(value, unit),
  effectiveDateTime: ago(1),
  ...extra,
});
const bloodPressure = (sys: number, dia: number, extra: Resource = {}): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: code('85354-9'),
  component: [
    { code: code('8480-6'), valueQuantity: qty(sys, 'mm[Hg]') },
    { code: code('8462-4'), valueQuantity: qty(dia, 'mm[Hg]') },
  ],
  effectiveDateTime: ago(1),
  ...extra,
});
const bundle = (resources: Resource[], type: 'collection' | 'batch' | 'transaction' = 'collection'): FhirBundleInput => ({
  resourceType: 'Bundle',
  type,
  entry: resources.map((resource) => (type === 'collection' ? { resource } : { resource, request: { method: 'POST', url: 'Observation' } })),
});
const tag = () => randomBytes(4).toString('hex');

const importBundle = (client: HavenClient, patientId: string, b: unknown) => client.call('observations.import', { params: { patientId }, body: b as FhirBundleInput });
const panel = (client: HavenClient, patientId: string, query: { days?: number; metric?: 'weight' | 'heart_rate' | 'sleep_efficiency' | 'blood_pressure' | 'glucose' | 'stress_score'; timeZone?: string } = {}) =>
  client.call('observations.list', { params: { patientId }, query });
const series = (ctx: ObservationContext, metric: string) => ctx.series.find((s) => s.metric === metric);
const countRows = async (patientId: string): Promise<number> => (await server.sql<{ n: number }>('select count(*)::int as n from observations where patient_id = $1', [patientId])).rows[0]!.n;

/** Expects a 422 invalid_bundle and returns its problem list. */
async function refused(client: HavenClient, patientId: string, b: unknown): Promise<{ path: string; message: string; entry?: number }[]> {
  try {
    await importBundle(client, patientId, b);
  } catch (err) {
    assert.ok(err instanceof HavenApiError, String(err));
    assert.equal(err.status, 422, err.message);
    assert.equal(err.code, 'invalid_bundle');
    assert.match(err.problem.detail ?? '', /nothing was imported/);
    return err.problem.errors ?? [];
  }
  assert.fail('the bundle was accepted');
}

// ---- import ---------------------------------------------------------------------------------------------------------

describe('FHIR import', () => {
  test('a valid bundle imports and reads back decrypted, in the metric units', async () => {
    const patient = (await p.admin.client.call('patients.create', { body: { email: `imp.${tag()}@patients.obs.test`, name: 'Import Patient', careTeamIds: [p.teamA.id], mrn: `MRN-${tag()}` } })).id;
    const b = bundle(
      [
        observation('8867-4', 72, '/min', { id: 'hr-1', effectiveDateTime: ago(2) }),
        observation('29463-7', 180, '[lb_av]', { identifier: [{ system: 'urn:scale', value: `w-${tag()}` }], subject: { reference: `Patient/${patient}` } }),
        bloodPressure(128, 84, { id: 'bp-1' }),
        observation('15074-8', 5.5, 'mmol/L', { id: 'glu-1', effectiveDateTime: ago(1, 7) }),
        observation('sleep_efficiency', 0.81, '1', { code: code('sleep_efficiency', 'https://haven.dev/fhir/CodeSystem/observation-metric'), effectiveDateTime: ago(1).slice(0, 10) }),
      ],
      'transaction',
    );
    const result = await importBundle(p.provider.client, patient, b);
    assert.deepEqual([result.received, result.created, result.updated, result.unchanged], [5, 5, 0, 0]);
    assert.deepEqual(result.items.map((i) => [i.entry, i.metric, i.outcome]), [
      [0, 'heart_rate', 'created'],
      [1, 'weight', 'created'],
      [2, 'blood_pressure', 'created'],
      [3, 'glucose', 'created'],
      [4, 'sleep_efficiency', 'created'],
    ]);

    const ctx = await panel(p.nurse.client, patient);
    assert.equal(ctx.window.days, 30);
    assert.equal(ctx.window.timeZone, 'UTC');
    assert.deepEqual(ctx.series.map((s) => s.metric), ['heart_rate', 'sleep_efficiency', 'weight', 'blood_pressure', 'glucose']);
    const weight = series(ctx, 'weight')!;
    assert.equal(weight.unit, 'kg');
    assert.equal(weight.loinc, '29463-7');
    assert.equal(weight.observations[0]!.value, 81.6466266);
    assert.equal(weight.observations[0]!.source, 'fhir_import');
    assert.equal(weight.observations[0]!.enteredBy, p.provider.id);
    assert.equal(series(ctx, 'glucose')!.observations[0]!.value, 99.0858);
    assert.equal(series(ctx, 'glucose')!.unit, 'mg/dL');
    assert.deepEqual(series(ctx, 'blood_pressure')!.observations[0]!.components, { systolic: 128, diastolic: 84 });
    assert.equal(series(ctx, 'blood_pressure')!.observations[0]!.value, null);
    assert.deepEqual(series(ctx, 'blood_pressure')!.referenceRanges, [
      { component: 'systolic', low: 90, high: 130 },
      { component: 'diastolic', low: 60, high: 80 },
    ]);
    assert.equal(series(ctx, 'sleep_efficiency')!.observations[0]!.value, 81);
    assert.equal(series(ctx, 'heart_rate')!.observations[0]!.effectiveAt, ago(2));

    // Filtering by metric.
    const only = await panel(p.nurse.client, patient, { metric: 'weight' });
    assert.deepEqual(only.series.map((s) => s.metric), ['weight']);
  });

  test('application/fhir+json is accepted; other media types are not', async () => {
    const b = bundle([observation('8867-4', 64, '/min', { id: `fhirjson-${tag()}` })]);
    const post = (type: string, body: string) =>
      fetch(`${server.url}/api/v1/patients/${p.patientA.id}/observations/import`, { method: 'POST', headers: { authorization: `Bearer ${p.provider.client.token}`, 'content-type': type }, body });
    const ok = await post('application/fhir+json; charset=utf-8', JSON.stringify(b));
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { created: number }).created, 1);
    const xml = await post('application/fhir+xml', '<Bundle/>');
    assert.equal(xml.status, 415);
    const poisoned = await post('application/fhir+json', '{"resourceType":"Bundle","type":"collection","__proto__":{"x":1}}');
    assert.equal(poisoned.status, 400);
    assert.equal(((await poisoned.json()) as { code: string }).code, 'invalid_json');
    // The OpenAPI document says so.
    const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, { post?: { requestBody?: { content?: Record<string, unknown> } } }> };
    const content = doc.paths['/api/v1/patients/{patientId}/observations/import']?.post?.requestBody?.content ?? {};
    assert.deepEqual(Object.keys(content).sort(), ['application/fhir+json', 'application/json']);
  });

  test('re-importing the same resources does not duplicate; changed content replaces; entered-in-error hides', async () => {
    const patient = p.patientA.id;
    const id = `rr-${tag()}`;
    const ident = { identifier: [{ system: 'urn:ehr', value: `x-${tag()}` }] };
    const first = bundle([observation('40443-4', 58, '/min', { id, effectiveDateTime: ago(3) }), observation('40443-4', 60, '/min', { ...ident, effectiveDateTime: ago(2) }), observation('40443-4', 61, '/min', { effectiveDateTime: ago(1) })]);
    const before = await countRows(patient);
    const a = await importBundle(p.provider.client, patient, first);
    assert.deepEqual([a.created, a.updated, a.unchanged], [3, 0, 0]);
    assert.equal(await countRows(patient), before + 3);

    // The same bundle again, also from someone else of the care team: nothing new (id-less resources by content).
    const again = await importBundle(p.nurse.client, patient, first);
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 3]);
    assert.deepEqual(again.items.map((i) => i.id), a.items.map((i) => i.id));
    assert.equal(await countRows(patient), before + 3);

    // A corrected value under the same identifier replaces the stored one.
    const corrected = await importBundle(p.provider.client, patient, bundle([observation('40443-4', 66, '/min', { ...ident, status: 'corrected', effectiveDateTime: ago(2) })]));
    assert.deepEqual([corrected.created, corrected.updated, corrected.unchanged], [0, 1, 0]);
    assert.equal(corrected.items[0]!.id, a.items[1]!.id);
    let ctx = await panel(p.provider.client, patient, { days: 7 });
    const values = () => series(ctx, 'resting_heart_rate')!.observations.map((o) => [o.value, o.status]);
    assert.deepEqual(values(), [[61, 'final'], [66, 'corrected'], [58, 'final']]);
    assert.equal(await countRows(patient), before + 3);

    // entered-in-error of the resource with that id hides it.
    await importBundle(p.provider.client, patient, bundle([observation('40443-4', 58, '/min', { id, status: 'entered-in-error', effectiveDateTime: ago(3) })]));
    ctx = await panel(p.provider.client, patient, { days: 7 });
    assert.deepEqual(values(), [[61, 'final'], [66, 'corrected']]);
  });

  test('invalid bundles are refused with every problem, its entry index and path, and nothing is stored', async () => {
    const patient = p.patientA.id;
    const good = () => observation('8867-4', 70, '/min', { id: `good-${tag()}` });
    const before = await countRows(patient);
    const cases: [string, unknown, { entry?: number; path: string; message: RegExp }][] = [
      ['wrong resourceType', { resourceType: 'Observation', status: 'final' }, { path: '/resourceType', message: /send a Bundle/ }],
      ['a Patient entry', bundle([good(), { resourceType: 'Patient', id: 'p' }]), { entry: 1, path: '/entry/1/resource/resourceType', message: /only Observation/ }],
      ['missing code', bundle([good(), { ...good(), code: undefined }]), { entry: 1, path: '/entry/1/resource/code', message: /code is required/ }],
      ['unknown code system', bundle([{ ...good(), code: code('271649006', 'http://snomed.info/sct') }]), { entry: 0, path: '/entry/0/resource/code/coding/0/system', message: /unknown code system/ }],
      ['bad unit', bundle([good(), observation('29463-7', 12, '[stone_av]')]), { entry: 1, path: '/entry/1/resource/valueQuantity/code', message: /cannot be converted to kg/ }],
      ['subject of another patient', bundle([good(), good(), observation('8867-4', 70, '/min', { subject: { reference: `Patient/${p.patientB.id}` } })]), { entry: 2, path: '/entry/2/resource/subject', message: /another patient/ }],
      ['bad date', bundle([observation('8867-4', 70, '/min', { effectiveDateTime: '2025-02-30T10:00:00Z' })]), { entry: 0, path: '/entry/0/resource/effectiveDateTime', message: /not a real date/ }],
      ['date without a time zone', bundle([observation('8867-4', 70, '/min', { effectiveDateTime: '2025-03-03T10:00:00' })]), { entry: 0, path: '/entry/0/resource/effectiveDateTime', message: /not a FHIR dateTime/ }],
      ['one bad entry among good ones', bundle([good(), good(), good(), observation('8867-4', 900, '/min'), good()], 'batch'), { entry: 3, path: '/entry/3/resource/valueQuantity/value', message: /outside the plausible range/ }],
      ['batch entry without request', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: good() }] }, { entry: 0, path: '/entry/0/request', message: /needs request/ }],
      ['bundle type', { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: good() }] }, { path: '/type', message: /batch, transaction or collection/ }],
    ];
    for (const [label, b, expected] of cases) {
      const errors = await refused(p.provider.client, patient, b);
      assert.equal(errors.length, 1, `${label}: ${JSON.stringify(errors)}`);
      const [e] = errors;
      assert.equal(e!.path, expected.path, label);
      assert.equal(e!.entry, expected.entry, label);
      assert.match(e!.message, expected.message, label);
    }
    // Several problems at once are all listed.
    const many = await refused(p.provider.client, patient, bundle([{ ...good(), code: undefined }, good(), observation('29463-7', 12, 'stone'), observation('8867-4', 70, '/min', { effectiveDateTime: 'soon' })]));
    assert.deepEqual(many.map((e) => e.entry), [0, 2, 3]);
    assert.equal(await countRows(patient), before, 'nothing of any refused bundle was stored');
  });

  test('limits: entries per bundle and body size', async () => {
    const before = await countRows(p.patientA.id);
    const huge = bundle(Array.from({ length: FHIR_IMPORT_MAX_ENTRIES + 1 }, (_, i) => observation('8867-4', 70, '/min', { id: `n${i}` })));
    await rejects(importBundle(p.provider.client, p.patientA.id, huge), 413, 'too_many_entries');
    const padding = 'x'.repeat(6 * 1024 * 1024);
    await rejects(importBundle(p.provider.client, p.patientA.id, { ...bundle([observation('8867-4', 70, '/min')]), padding }), 413, 'payload_too_large');
    // Exactly the limit is fine.
    const full = await importBundle(p.provider.client, p.patientA.id, bundle(Array.from({ length: FHIR_IMPORT_MAX_ENTRIES }, (_, i) => observation('55423-8', 100 + i, '{steps}', { id: `steps-${tag()}-${i}`, effectiveDateTime: ago(40 + (i % 20), i % 24) }))));
    assert.equal(full.created, FHIR_IMPORT_MAX_ENTRIES);
    assert.equal(await countRows(p.patientA.id), before + FHIR_IMPORT_MAX_ENTRIES);
  });
});

// ---- one observation --------------------------------------------------------------------------------------------

describe('staff entry', () => {
  test('adds one observation, converted; the same id again is a replay, a different one a conflict', async () => {
    const id = uuid();
    const body = { id, metric: 'weight' as const, value: 200, unit: '[lb_av]', effectiveAt: ago(0, 6) };
    const created = await p.nurse.client.call('observations.create', { params: { patientId: p.patientA.id }, body });
    assert.equal(created.id, id);
    assert.equal(created.value, 90.718474);
    assert.equal(created.unit, 'kg');
    assert.equal(created.source, 'staff_entry');
    assert.equal(created.enteredBy, p.nurse.id);
    const replay = await fetch(`${server.url}/api/v1/patients/${p.patientA.id}/observations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.nurse.client.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(replay.status, 200);
    assert.deepEqual(await replay.json(), created);
    await rejects(p.nurse.client.call('observations.create', { params: { patientId: p.patientA.id }, body: { ...body, value: 201 } }), 409, 'idempotency_conflict');
    await rejects(p.provider.client.call('observations.create', { params: { patientId: p.patientA.id }, body }), 409, 'idempotency_conflict');
    await rejects(other.provider.client.call('observations.create', { params: { patientId: other.patientA.id }, body }), 409, 'idempotency_conflict');
    const bp = await p.provider.client.call('observations.create', { params: { patientId: p.patientA.id }, body: { id: uuid(), metric: 'blood_pressure', components: { systolic: 17.3, diastolic: 11.2 }, unit: 'kPa', effectiveAt: ago(0, 7) } });
    assert.deepEqual(bp.components, { systolic: 129.760652613, diastolic: 84.0068964896 });
  });

  test('invalid entries answer 422 naming the field', async () => {
    const base = { metric: 'heart_rate' as const, value: 70, unit: '/min', effectiveAt: ago(0, 6) };
    const cases: [Record<string, unknown>, string][] = [
      [{ unit: 'furlongs' }, '/body/unit'],
      [{ value: 700 }, '/body/value'],
      [{ effectiveAt: new Date(Date.now() + 3 * DAY).toISOString() }, '/body/effectiveAt'],
      [{ components: { systolic: 120, diastolic: 80 } }, '/body/components'],
      [{ metric: 'blood_pressure', value: 120, unit: 'mm[Hg]' }, '/body/value'],
      [{ metric: 'blood_pressure', value: undefined, components: { systolic: 80, diastolic: 120 }, unit: 'mm[Hg]' }, '/body/components'],
    ];
    for (const [change, path] of cases) {
      try {
        await p.nurse.client.call('observations.create', { params: { patientId: p.patientA.id }, body: { ...base, id: uuid(), ...change } as never });
        assert.fail(`accepted ${JSON.stringify(change)}`);
      } catch (err) {
        assert.ok(err instanceof HavenApiError);
        assert.equal(err.status, 422, JSON.stringify(change));
        assert.equal(err.code, 'invalid_observation');
        assert.equal(err.problem.errors?.[0]?.path, path, JSON.stringify(change));
      }
    }
    await rejects(p.nurse.client.call('observations.create', { params: { patientId: p.patientA.id }, body: { ...base, id: uuid(), metric: 'mood' } as never }), 400, 'validation_failed');
    await rejects(p.nurse.client.call('observations.create', { params: { patientId: p.patientA.id }, body: { ...base, id: uuid(), source: 'fhir_import' } as never }), 400, 'validation_failed');
  });
});

// ---- who may do what ------------------------------------------------------------------------------------------------

describe('access', () => {
  const hr = () => bundle([observation('8867-4', 77, '/min', { id: `acc-${tag()}` })]);
  const entry = () => ({ id: uuid(), metric: 'heart_rate' as const, value: 77, unit: '/min', effectiveAt: ago(0, 5) });

  test('staff off the care team, other organizations, compliance: 404 for every operation, nothing stored', async () => {
    const before = await countRows(p.patientA.id);
    for (const client of [p.otherProvider.client, p.compliance.client, other.provider.client, other.admin.client, other.patientA.client, p.patientB.client]) {
      await rejects(importBundle(client, p.patientA.id, hr()), 404, 'not_found');
      await rejects(client.call('observations.create', { params: { patientId: p.patientA.id }, body: entry() }), 404, 'not_found');
      await rejects(panel(client, p.patientA.id), 404, 'not_found');
    }
    // A forged id answers the same.
    await rejects(panel(p.provider.client, uuid()), 404, 'not_found');
    await rejects(panel(p.provider.client, p.provider.id), 404, 'not_found');
    assert.equal(await countRows(p.patientA.id), before);
  });

  test('a patient reads their own observations and submits their own device data, for nobody else', async () => {
    const own = await panel(p.patientA.client, p.patientA.id);
    assert.ok(own.series.length > 0);
    const imported = await importBundle(p.patientA.client, p.patientA.id, bundle([observation('8867-4', 66, '/min', { id: `dev-${tag()}`, effectiveDateTime: ago(0, 4) })]));
    assert.equal(imported.created, 1);
    const entered = await p.patientA.client.call('observations.create', { params: { patientId: p.patientA.id }, body: entry() });
    assert.equal(entered.source, 'patient_device');
    const ctx = await panel(p.provider.client, p.patientA.id, { metric: 'heart_rate', days: 2 });
    const fromDevice = series(ctx, 'heart_rate')!.observations.filter((o) => o.enteredBy === p.patientA.id);
    assert.deepEqual(fromDevice.map((o) => o.source), ['patient_device', 'patient_device']);
    await rejects(panel(p.patientA.client, p.patientB.id), 404, 'not_found');
    await rejects(importBundle(p.patientA.client, p.patientB.id, hr()), 404, 'not_found');
  });

  test("a patient's device data never replaces what the care team imported, even under the same resource id", async () => {
    const id = `same-${tag()}`;
    const clinical = await importBundle(p.provider.client, p.patientA.id, bundle([observation('29463-7', 72.5, 'kg', { id, effectiveDateTime: ago(0, 1) })]));
    const device = await importBundle(p.patientA.client, p.patientA.id, bundle([observation('29463-7', 60.5, 'kg', { id, effectiveDateTime: ago(0, 1), status: 'entered-in-error' })]));
    assert.equal(device.created, 1, 'a separate observation');
    assert.notEqual(device.items[0]!.id, clinical.items[0]!.id);
    const weights = series(await panel(p.provider.client, p.patientA.id, { metric: 'weight', days: 1 }), 'weight')!.observations;
    assert.deepEqual(weights.filter((o) => o.id === clinical.items[0]!.id).map((o) => [o.value, o.source]), [[72.5, 'fhir_import']]);
  });

  test('admins add and import for patients of their organization but read no values', async () => {
    const res = await importBundle(p.admin.client, p.patientB.id, hr());
    assert.equal(res.created, 1);
    await rejects(panel(p.admin.client, p.patientB.id), 403, 'forbidden');
  });

  test('an unknown time zone is refused', async () => {
    await rejects(panel(p.provider.client, p.patientA.id, { timeZone: 'Mars/Olympus_Mons' }), 400, 'validation_failed');
    const berlin = await panel(p.provider.client, p.patientA.id, { timeZone: 'Europe/Berlin', days: 3 });
    assert.equal(berlin.window.timeZone, 'Europe/Berlin');
  });
});

// ---- derived signals ------------------------------------------------------------------------------------------------

describe('derived signals through the API', () => {
  test('sleep efficiency 64% vs usual 81%; heart rate elevated 4 days in a row; weight rising', async () => {
    const patient = (await p.admin.client.call('patients.create', { body: { email: `sig.${tag()}@patients.obs.test`, name: 'Signal Patient', careTeamIds: [p.teamA.id] } })).id;
    const resources: Resource[] = [];
    for (let d = 34; d >= 0; d--) {
      resources.push(observation('sleep_efficiency', d >= 7 ? 81 : 64, '%', { code: code('sleep_efficiency', 'https://haven.dev/fhir/CodeSystem/observation-metric'), effectiveDateTime: ago(d, 7) }));
      resources.push(observation('8867-4', d >= 4 ? 68 : 104 + d, '/min', { effectiveDateTime: ago(d, 12) }));
      if (d < 30) resources.push(observation('29463-7', 80 + (29 - d) * 0.1, 'kg', { effectiveDateTime: ago(d, 6) }));
    }
    await importBundle(p.provider.client, patient, bundle(resources));
    const ctx = await panel(p.provider.client, patient);
    const summaries = ctx.signals.map((s) => s.summary);
    assert.ok(summaries.includes('Sleep efficiency 64% over the last 7 days vs usual 81%'), summaries.join('\n'));
    assert.ok(summaries.includes('Heart rate elevated 4 days in a row: daily mean above 100 bpm (reference range 50–100 bpm)'), summaries.join('\n'));
    assert.ok(summaries.includes('Weight rising over 30 days: +2.9 kg (from about 80 kg to 82.9 kg)'), summaries.join('\n'));
    const vs = ctx.signals.find((s) => s.kind === 'vs_usual' && s.metric === 'sleep_efficiency')!;
    assert.deepEqual([vs.direction, vs.values.recent, vs.values.usual, vs.unit], ['below', 64, 81, '%']);
    const streak = ctx.signals.find((s) => s.kind === 'streak' && s.metric === 'heart_rate')!;
    assert.deepEqual([streak.values.days, streak.values.threshold, streak.values.basis], [4, 100, 'reference_range']);
    // The window lists 30 days of observations; the signals also used the 5 days before.
    assert.equal(series(ctx, 'sleep_efficiency')!.observations.length, 30);
    // Filtering by metric keeps that metric's signals only.
    const one = await panel(p.provider.client, patient, { metric: 'heart_rate' });
    assert.deepEqual([...new Set(one.signals.map((s) => s.metric))], ['heart_rate']);
  });
});

// ---- at rest ---------------------------------------------------------------------------------------------------------

/** Every row of every table, as text (bytea as hex). */
async function dumpAllRows(): Promise<string> {
  const tables = await server.sql<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'");
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await server.sql<{ row: string }>(`select t::text as row from "${table_name}" t`);
    parts.push(...rows.rows.map((r) => `${table_name}: ${r.row}`));
  }
  return parts.join('\n');
}

describe('encryption at rest', () => {
  test('a canary value, a canary note and the metric never appear in plaintext in any table', async () => {
    const patient = (await p.admin.client.call('patients.create', { body: { email: `rest.${tag()}@patients.obs.test`, name: 'Rest Patient', careTeamIds: [p.teamA.id] } })).id;
    const CANARY = 137.913;
    const NOTE = `canary-note-${tag()}`;
    await importBundle(p.provider.client, patient, bundle([observation('2339-0', CANARY, 'mg/dL', { id: `rest-${tag()}`, note: [{ text: NOTE }] })]));
    await p.nurse.client.call('observations.create', { params: { patientId: patient }, body: { id: uuid(), metric: 'weight', value: CANARY, unit: 'kg', effectiveAt: ago(0, 3) } });
    // Positive control: the API gives the value back.
    const ctx = await panel(p.provider.client, patient);
    assert.equal(series(ctx, 'glucose')!.observations[0]!.value, CANARY);
    assert.equal(series(ctx, 'weight')!.observations[0]!.value, CANARY);

    const dump = await dumpAllRows();
    assert.ok(dump.includes(patient), 'the dump holds the rows (positive control)');
    const forms = [String(CANARY), NOTE, Buffer.from(String(CANARY)).toString('hex'), Buffer.from(NOTE).toString('hex')];
    for (const f of forms) assert.ok(!dump.includes(f), `${f} appears in a table`);
    // The observation rows say nothing about which metric they are.
    const rows = dump.split('\n').filter((l) => l.startsWith('observations:') && l.includes(patient));
    assert.equal(rows.length, 2);
    for (const word of ['glucose', 'weight', '2339-0', 'mg/dL', 'kg']) {
      // In hex (bytea columns) only words of 5 bytes or more: two random ciphertext bytes spell "kg" (6b67) about
      // once in 65,536 positions, so a short word's hex would make this test fail by chance, not by a leak.
      // Likewise a short word as text: as a field of its own (a plaintext unit column would hold exactly "kg").
      const hex = word.length >= 5 ? Buffer.from(word).toString('hex') : null;
      const asText = (r: string) => (word.length >= 5 ? r.includes(word) : r.split(/[^A-Za-z0-9/-]+/).includes(word));
      assert.ok(!rows.some((r) => asText(r) || (hex !== null && r.includes(hex))), `${word} in an observations row`);
    }
    assert.ok(!server.logs.join('\n').includes(String(CANARY)), 'no value in the logs');
    assert.ok(!server.logs.join('\n').includes(NOTE), 'no note in the logs');
  });

  test('ciphertexts are bound to their row: a swapped value or a moved metric tag is an integrity error', async () => {
    const patient = (await p.admin.client.call('patients.create', { body: { email: `tamper.${tag()}@patients.obs.test`, name: 'Tamper Patient', careTeamIds: [p.teamA.id] } })).id;
    const r = await importBundle(p.provider.client, patient, bundle([observation('8867-4', 61, '/min', { effectiveDateTime: ago(2) }), observation('29463-7', 70, 'kg', { effectiveDateTime: ago(1) })]));
    const [hr, weight] = r.items.map((i) => i.id) as [string, string];
    const get = async (id: string) => (await server.sql<{ values_ct: Buffer; metric_tag: Buffer; effective_at: Date }>('select values_ct, metric_tag, effective_at from observations where id = $1', [id])).rows[0]!;
    const [a, b] = [await get(hr), await get(weight)];
    await server.sql('update observations set values_ct = $2 where id = $1', [hr, b.values_ct]);
    await rejects(panel(p.provider.client, patient), 500, 'integrity_error');
    await server.sql('update observations set values_ct = $2 where id = $1', [hr, a.values_ct]);
    await panel(p.provider.client, patient);
    // Relabel the heart rate as the weight series: the sealed metric disagrees with the tag.
    await server.sql('update observations set metric_tag = $2 where id = $1', [hr, b.metric_tag]);
    await rejects(panel(p.provider.client, patient), 500, 'integrity_error');
    await server.sql('update observations set metric_tag = $2 where id = $1', [hr, a.metric_tag]);
    // Move a reading in time: the effective time is bound too.
    await server.sql("update observations set effective_at = effective_at - interval '1 hour' where id = $1", [hr]);
    await rejects(panel(p.provider.client, patient), 500, 'integrity_error');
    await server.sql('update observations set effective_at = $2 where id = $1', [hr, a.effective_at]);
    assert.equal(series(await panel(p.provider.client, patient), 'heart_rate')!.observations[0]!.value, 61);
  });
});

// ---- charts into a thread ---------------------------------------------------------------------------------------

describe('chart shared into a thread', () => {
  let thread: string;
  let threadB: string;
  const period = { from: new Date(Date.now() - 14 * DAY).toISOString(), to: new Date().toISOString() };

  before(async () => {
    thread = (await p.patientA.client.call('threads.create', { body: { subject: 'My blood pressure', topic: 'other' } })).id;
    threadB = (await p.patientB.client.call('threads.create', { body: { subject: 'B thread', topic: 'other' } })).id;
    await importBundle(p.provider.client, p.patientA.id, bundle(Array.from({ length: 10 }, (_, i) => bloodPressure(125 + i, 80 + (i % 4), { effectiveDateTime: ago(10 - i, 8) }))));
  });

  const share = (client: HavenClient, body: Record<string, unknown>, patientId = p.patientA.id) =>
    client.call('observations.chart.share', { params: { patientId }, body: { threadId: thread, metric: 'blood_pressure', ...period, ...body } as never });
  const attachmentsOf = async (messageId: string) => (await server.sql<{ id: string }>('select id from attachments where message_id = $1', [messageId])).rows.map((r) => r.id);
  const messageExists = async (messageId: string) => (await server.sql('select 1 from messages where id = $1', [messageId])).rowCount === 1;

  test('staff share a chart: a new message with a PNG attachment that the patient downloads', async () => {
    const messageId = uuid();
    const { message, attachment } = await share(p.provider.client, { messageId, text: 'Your readings of the last two weeks' });
    assert.equal(message.id, messageId);
    assert.equal(message.body, 'Your readings of the last two weeks');
    assert.equal(message.senderId, p.provider.id);
    assert.equal(attachment.messageId, messageId);
    assert.equal(attachment.contentType, 'image/png');
    assert.equal(attachment.linked, true);
    assert.equal(attachment.hasPreview, true);
    assert.match(attachment.fileName, /^blood-pressure-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.png$/);

    const history = await p.patientA.client.call('messages.list', { params: { threadId: thread } });
    assert.ok(history.items.some((m) => m.id === messageId));
    const listed = await p.patientA.client.call('attachments.list', { params: { threadId: thread, messageId } });
    assert.deepEqual(listed.items.map((a) => a.id), [attachment.id]);
    const file = await p.patientA.client.downloadAttachment(thread, messageId, attachment.id);
    assert.equal(file.contentType, 'image/png');
    const meta = await sharp(Buffer.from(file.bytes)).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 960, 480]);
    const preview = await p.patientA.client.downloadAttachment(thread, messageId, attachment.id, 'preview');
    assert.equal((await sharp(Buffer.from(preview.bytes)).metadata()).format, 'webp');
  });

  test('idempotent by message id: a retry answers the same message and attachment; another request under the id is refused', async () => {
    const messageId = uuid();
    const first = await share(p.nurse.client, { messageId });
    assert.match(first.message.body ?? '', /^Blood pressure chart, \d{1,2} \w{3} \d{4} – \d{1,2} \w{3} \d{4}$/);
    const res = await fetch(`${server.url}/api/v1/patients/${p.patientA.id}/observations/charts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.nurse.client.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ threadId: thread, metric: 'blood_pressure', ...period, messageId }),
    });
    assert.equal(res.status, 200, 'a retry answers 200');
    const again = (await res.json()) as typeof first;
    assert.equal(again.message.id, messageId);
    assert.equal(again.attachment.id, first.attachment.id);
    assert.deepEqual(await attachmentsOf(messageId), [first.attachment.id], 'one attachment, not two');
    // Concurrent retries share the one message and attachment too.
    const burst = await Promise.allSettled(Array.from({ length: 4 }, () => share(p.nurse.client, { messageId })));
    for (const r of burst) if (r.status === 'fulfilled') assert.equal(r.value.attachment.id, first.attachment.id);
    assert.deepEqual(await attachmentsOf(messageId), [first.attachment.id]);
    // Concurrent first attempts: one renders and uploads; the others answer that one's result or 409 "in progress".
    const racing = uuid();
    const race = await Promise.allSettled(Array.from({ length: 4 }, () => share(p.nurse.client, { messageId: racing })));
    const won = race.flatMap((r) => (r.status === 'fulfilled' ? [r.value.attachment.id] : []));
    assert.ok(won.length >= 1, 'at least one attempt succeeded');
    assert.equal(new Set(won).size, 1);
    for (const r of race) if (r.status === 'rejected') assert.equal((r.reason as HavenApiError).code, 'conflict');
    assert.deepEqual(await attachmentsOf(racing), [won[0]]);
    // Another metric, text, period, thread or sender under the same id: refused, nothing added.
    await rejects(share(p.nurse.client, { messageId, metric: 'heart_rate' }), 409, 'idempotency_conflict');
    await rejects(share(p.nurse.client, { messageId, text: 'something else' }), 409, 'idempotency_conflict');
    await rejects(share(p.provider.client, { messageId }), 409, 'idempotency_conflict');
    assert.deepEqual(await attachmentsOf(messageId), [first.attachment.id]);
    // The id of an ordinary message already sent is refused before anything is uploaded.
    const sent = await p.nurse.client.call('messages.create', { params: { threadId: thread }, body: { id: uuid(), body: 'a plain message' } });
    await rejects(share(p.nurse.client, { messageId: sent.id }), 409, 'idempotency_conflict');
    assert.deepEqual(await attachmentsOf(sent.id), []);
    // ... and the refused id is not held by a claim: the same request under a fresh id works.
    assert.equal((await share(p.nurse.client, { messageId: uuid() })).attachment.contentType, 'image/png');
  });

  test('no observations in the period: 422, no message, and the id stays usable', async () => {
    const messageId = uuid();
    await rejects(share(p.provider.client, { messageId, metric: 'glucose' }), 422, 'no_observations');
    assert.equal(await messageExists(messageId), false);
    assert.deepEqual(await attachmentsOf(messageId), []);
    const ok = await share(p.provider.client, { messageId });
    assert.equal(ok.message.id, messageId);
    await rejects(share(p.provider.client, { messageId: uuid(), from: period.to, to: period.from }), 400, 'validation_failed');
    await rejects(share(p.provider.client, { messageId: uuid(), from: new Date(Date.now() - 400 * DAY).toISOString() }), 400, 'validation_failed');
  });

  test('nobody without access to the patient gets at the chart; patients and admins cannot share', async () => {
    const messageId = uuid();
    const { attachment } = await share(p.provider.client, { messageId });
    for (const client of [p.otherProvider.client, p.patientB.client, other.provider.client, p.compliance.client, p.admin.client]) {
      await rejects(client.downloadAttachment(thread, messageId, attachment.id), 404, 'not_found');
    }
    await rejects(share(p.otherProvider.client, { messageId: uuid() }), 404, 'not_found');
    await rejects(share(other.provider.client, { messageId: uuid() }), 404, 'not_found');
    await rejects(share(p.compliance.client, { messageId: uuid() }), 404, 'not_found');
    await rejects(share(p.patientA.client, { messageId: uuid() }), 403, 'forbidden');
    await rejects(share(p.admin.client, { messageId: uuid() }), 403, 'forbidden');
    // A thread of another patient, or a forged thread: 404, nothing sent.
    const stray = uuid();
    await rejects(share(p.provider.client, { messageId: stray, threadId: threadB }), 404, 'not_found');
    await rejects(share(p.otherProvider.client, { messageId: stray, threadId: threadB }), 404, 'not_found');
    await rejects(share(p.provider.client, { messageId: stray, threadId: uuid() }), 404, 'not_found');
    assert.equal(await messageExists(stray), false);
  });
});

// ---- audit ----------------------------------------------------------------------------------------------------------

describe('audit', () => {
  test('an import is one event with counts; reads, entries and shares are audited; no values or metrics in the trail', async () => {
    const patient = (await p.admin.client.call('patients.create', { body: { email: `aud.${tag()}@patients.obs.test`, name: 'Audit Patient', careTeamIds: [p.teamA.id] } })).id;
    const threadId = (await p.provider.client.call('threads.create', { body: { subject: 'Audit', topic: 'other', patientId: patient } })).id;
    await importBundle(p.provider.client, patient, bundle([observation('2339-0', 142.5, 'mg/dL', { id: 'a1' }), observation('2339-0', 151.5, 'mg/dL', { id: 'a2', effectiveDateTime: ago(2) })]));
    await importBundle(p.provider.client, patient, bundle([observation('2339-0', 142.5, 'mg/dL', { id: 'a1' }), observation('2339-0', 160.5, 'mg/dL', { id: 'a2', effectiveDateTime: ago(2) }), observation('2339-0', 99.5, 'mg/dL', { id: 'a3' })]));
    await p.nurse.client.call('observations.create', { params: { patientId: patient }, body: { id: uuid(), metric: 'glucose', value: 131.5, unit: 'mg/dL', effectiveAt: ago(0, 2) } });
    await panel(p.nurse.client, patient);
    const messageId = uuid();
    await p.provider.client.call('observations.chart.share', { params: { patientId: patient }, body: { threadId, messageId, metric: 'glucose', from: new Date(Date.now() - 7 * DAY).toISOString(), to: new Date().toISOString() } });

    const events = await p.compliance.client.call('audit.list', { query: { patientId: patient, limit: 200 } });
    const ours = events.items.filter((e) => e.action.startsWith('observations.')).reverse();
    assert.deepEqual(ours.map((e) => [e.action, e.actorId]), [
      ['observations.import', p.provider.id],
      ['observations.import', p.provider.id],
      ['observations.create', p.nurse.id],
      ['observations.list', p.nurse.id],
      ['observations.chart.share', p.provider.id],
    ]);
    assert.deepEqual(ours[0]!.details, { received: 2, created: 2, updated: 0, unchanged: 0, source: 'fhir_import' });
    assert.deepEqual(ours[1]!.details, { received: 3, created: 1, updated: 1, unchanged: 1, source: 'fhir_import' });
    assert.equal(ours[3]!.details.returned, 4);
    assert.deepEqual(Object.keys(ours[4]!.details).sort(), ['attachmentId', 'points', 'replayed', 'threadId']);
    // The share also went through the attachment and message services, with their own events.
    assert.ok(events.items.some((e) => e.action === 'attachments.upload' && e.details.messageId === messageId));
    assert.ok(events.items.some((e) => e.action === 'messages.create' && e.resourceId === messageId));
    const trail = JSON.stringify(events);
    for (const word of ['142.5', '160.5', '131.5', 'glucose', '2339-0', 'mg/dL']) assert.ok(!trail.includes(word), `${word} in the audit trail`);
    // A refused import leaves a trail of nothing imported (no event), and the refusal is not logged with values.
    await rejects(importBundle(p.provider.client, patient, bundle([observation('2339-0', 987.25, 'furlong')])), 422, 'invalid_bundle');
    assert.ok(!server.logs.join('\n').includes('987.25'));
  });
});
