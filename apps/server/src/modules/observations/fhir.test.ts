import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapBundle, parseFhirDateTime } from './fhir.js';
import { HAVEN_METRICS, LOINC, UCUM } from './metrics.js';

const PATIENT = { id: '0b7c2f0e-8d6a-4c36-9a57-3f1d2b9e4a10', mrn: 'MRN-4711' };
const NOW = new Date('2025-03-31T12:00:00Z');

const loinc = (code: string) => ({ coding: [{ system: LOINC, code }] });
const qty = (value: unknown, code: string) => ({ value, system: UCUM, code });
const obs = (extra: Record<string, unknown>) => ({ resourceType: 'Observation', status: 'final', effectiveDateTime: '2025-03-30T08:15:00+01:00', ...extra });
const bp = (sys: number, dia: number, unit = 'mm[Hg]') =>
  obs({
    code: loinc('85354-9'),
    component: [
      { code: loinc('8480-6'), valueQuantity: qty(sys, unit) },
      { code: loinc('8462-4'), valueQuantity: qty(dia, unit) },
    ],
  });
const collection = (...resources: unknown[]) => ({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) });
const map = (bundle: unknown) => mapBundle(bundle, PATIENT, NOW);

/** The issues of a bundle as "entry path: message" lines. */
function issues(bundle: unknown): { entry?: number; path: string; message: string }[] {
  const r = map(bundle);
  assert.ok(r.issues.length > 0, 'the bundle is refused');
  return r.issues;
}

describe('FHIR dateTime', () => {
  test('full date-times with offsets, instants and day precision', () => {
    assert.equal((parseFhirDateTime('2025-03-30T08:15:00+01:00') as Date).toISOString(), '2025-03-30T07:15:00.000Z');
    assert.equal((parseFhirDateTime('2025-03-30T08:15:00.123456Z') as Date).toISOString(), '2025-03-30T08:15:00.123Z');
    assert.equal((parseFhirDateTime('2025-03-30T23:30:00-05:30') as Date).toISOString(), '2025-03-31T05:00:00.000Z');
    // A bare date is taken at noon UTC, so it stays on its calendar day within ±12 h of UTC.
    assert.equal((parseFhirDateTime('2025-03-30') as Date).toISOString(), '2025-03-30T12:00:00.000Z');
  });
  test('refused: not a date, too coarse, impossible, no zone, no seconds', () => {
    for (const bad of ['yesterday', '2025', '2025-03', '2025-02-30', '2025-13-01', '2025-03-30T25:00:00Z', '2025-03-30T08:15:00', '2025-03-30T08:15Z', '2025-03-30T08:15:00+15:00', 20250330]) {
      assert.equal(typeof parseFhirDateTime(bad), 'string', `${String(bad)} is refused`);
    }
  });
});

describe('mapping a valid bundle', () => {
  test('metrics from LOINC and Haven codes, values converted to the metric unit', () => {
    const r = map(
      collection(
        obs({ id: 'hr-1', code: loinc('8867-4'), valueQuantity: qty(72, '/min') }),
        obs({ identifier: [{ system: 'urn:device', value: 'w-1' }], code: loinc('29463-7'), valueQuantity: { value: 180, unit: 'lbs' } }),
        bp(128, 84),
        obs({ code: loinc('15074-8'), valueQuantity: qty(5.5, 'mmol/L') }),
        obs({ code: loinc('80404-7'), valueQuantity: qty(0.045, 's') }),
        obs({ code: { coding: [{ system: 'http://snomed.info/sct', code: '123' }, { system: HAVEN_METRICS, code: 'sleep_efficiency' }] }, valueQuantity: qty(0.81, '1'), effectiveDateTime: '2025-03-29' }),
        obs({ code: loinc('8310-5'), valueQuantity: qty(100.4, '[degF]'), effectivePeriod: { start: '2025-03-29T22:00:00Z', end: '2025-03-30T06:00:00Z' }, effectiveDateTime: undefined }),
      ),
    );
    assert.deepEqual(r.issues, []);
    const got = r.observations.map((o) => [o.entry, o.metric, o.values, o.reported.unit]);
    assert.deepEqual(got, [
      [0, 'heart_rate', { value: 72 }, '/min'],
      [1, 'weight', { value: 81.64662660 }, '[lb_av]'],
      [2, 'blood_pressure', { systolic: 128, diastolic: 84 }, 'mm[Hg]'],
      [3, 'glucose', { value: 99.0858 }, 'mmol/L'],
      [4, 'hrv_sdnn', { value: 45 }, 's'],
      [5, 'sleep_efficiency', { value: 81 }, '1'],
      [6, 'body_temperature', { value: 38 }, '[degF]'],
    ]);
    assert.equal(r.observations[1]!.reported.values.value, 180);
    assert.equal(r.observations[0]!.identity, 'id|hr-1');
    assert.equal(r.observations[1]!.identity, 'identifier|urn:device|w-1');
    assert.match(r.observations[2]!.identity, /^content\|blood_pressure\|/);
    assert.equal(r.observations[5]!.effectiveAt.toISOString(), '2025-03-29T12:00:00.000Z');
    assert.equal(r.observations[6]!.effectiveAt.toISOString(), '2025-03-29T22:00:00.000Z');
  });

  test('a batch or transaction needs POST/PUT requests to Observation; subject may name the patient by id or MRN', () => {
    const entry = (resource: unknown, request: unknown = { method: 'POST', url: 'Observation' }) => ({ fullUrl: 'urn:uuid:1', resource, request });
    const r = map({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        entry(obs({ code: loinc('8867-4'), valueQuantity: qty(61, '/min'), subject: { reference: `Patient/${PATIENT.id}` } })),
        entry(obs({ code: loinc('8867-4'), valueQuantity: qty(62, '/min'), subject: { reference: `https://ehr.example/fhir/Patient/${PATIENT.id.toUpperCase()}` } }), { method: 'PUT', url: 'Observation/abc' }),
        entry(obs({ code: loinc('8867-4'), valueQuantity: qty(63, '/min'), subject: { identifier: { system: 'urn:mrn', value: ' mrn-4711 ' } } })),
      ],
    });
    assert.deepEqual(r.issues, []);
    assert.equal(r.observations.length, 3);
  });

  test('an empty bundle maps to nothing, without problems', () => {
    assert.deepEqual(map({ resourceType: 'Bundle', type: 'batch' }), { observations: [], issues: [] });
    assert.deepEqual(map({ resourceType: 'Bundle', type: 'collection', entry: [] }), { observations: [], issues: [] });
  });
});

describe('refusing invalid bundles with the entry and the JSON path of each problem', () => {
  const good = obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min') });

  test('not a bundle, wrong bundle type, entry not an array', () => {
    assert.deepEqual(issues({ resourceType: 'Observation', status: 'final' }), [{ path: '/resourceType', message: "resourceType 'Observation': send a Bundle of Observation resources" }]);
    assert.equal(issues({ resourceType: 'Bundle', type: 'searchset', entry: [] })[0]!.path, '/type');
    assert.equal(issues({ resourceType: 'Bundle', type: 'batch', entry: {} })[0]!.path, '/entry');
    assert.equal(issues([good])[0]!.path, '');
  });

  test('each entry problem names its entry and path', () => {
    const list = issues(
      collection(
        good,
        { resourceType: 'Patient', id: 'p1' },
        obs({ valueQuantity: qty(70, '/min') }),
        obs({ code: { coding: [{ system: 'http://snomed.info/sct', code: '364075005' }] }, valueQuantity: qty(70, '/min') }),
        obs({ code: loinc('1234-5'), valueQuantity: qty(70, '/min') }),
        obs({ code: loinc('29463-7'), valueQuantity: qty(12, '[stone_av]') }),
        obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min'), subject: { reference: 'Patient/someone-else' } }),
        obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min'), effectiveDateTime: '2025-02-30T10:00:00Z' }),
        obs({ code: loinc('8867-4'), valueQuantity: qty('70', '/min') }),
        obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min'), status: 'registered' }),
        obs({ code: loinc('8480-6'), valueQuantity: qty(120, 'mm[Hg]') }),
        obs({ code: loinc('29463-7'), valueQuantity: qty(950, 'kg') }),
        obs({ code: loinc('8867-4'), valueString: 'fast' }),
        obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min'), effectiveDateTime: '2025-06-01T10:00:00Z' }),
        obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min'), subject: { identifier: { value: 'MRN-0000' } } }),
        bp(80, 120),
        obs({ code: loinc('85354-9'), component: [{ code: loinc('8480-6'), valueQuantity: qty(120, 'mm[Hg]') }] }),
        obs({ code: loinc('8867-4'), valueQuantity: { value: 70, system: 'http://example.org/units', code: 'bpm' } }),
        obs({ code: loinc('2339-0'), valueQuantity: { value: 20, comparator: '<', system: UCUM, code: 'mg/dL' } }),
      ),
    );
    const at = (entry: number) => list.filter((i) => i.entry === entry).map((i) => `${i.path}: ${i.message}`);
    assert.deepEqual(at(0), [], 'the good entry has no problem');
    assert.deepEqual(at(1), ["/entry/1/resource/resourceType: resourceType 'Patient': only Observation resources are imported"]);
    assert.deepEqual(at(2), ['/entry/2/resource/code: code is required']);
    assert.match(at(3)[0]!, /^\/entry\/3\/resource\/code\/coding\/0\/system: unknown code system 'http:\/\/snomed\.info\/sct'/);
    assert.match(at(4)[0]!, /^\/entry\/4\/resource\/code\/coding\/0\/code: code '1234-5' of http:\/\/loinc\.org is not a metric/);
    assert.match(at(5)[0]!, /^\/entry\/5\/resource\/valueQuantity\/code: unit '\[stone_av\]' cannot be converted to kg for weight; use one of kg, g, \[lb_av\], \[oz_av\]/);
    assert.deepEqual(at(6), ['/entry/6/resource/subject: subject is another patient than the one this import is for']);
    assert.match(at(7)[0]!, /^\/entry\/7\/resource\/effectiveDateTime: '2025-02-30T10:00:00Z' is not a real date/);
    assert.deepEqual(at(8), ['/entry/8/resource/valueQuantity/value: value must be a number']);
    assert.match(at(9)[0]!, /^\/entry\/9\/resource\/status: status 'registered' cannot be imported/);
    assert.match(at(10)[0]!, /^\/entry\/10\/resource\/code\/coding\/0\/code: Systolic blood pressure alone is not imported: send blood pressure as one 85354-9 panel/);
    assert.match(at(11)[0]!, /^\/entry\/11\/resource\/valueQuantity\/value: Weight 950 kg is outside the plausible range/);
    assert.deepEqual(at(12), ['/entry/12/resource/valueString: valueString is not supported: heart_rate needs valueQuantity']);
    assert.deepEqual(at(13), ["/entry/13/resource/effectiveDateTime: '2025-06-01T10:00:00Z' is in the future"]);
    assert.deepEqual(at(14), ["/entry/14/resource/subject: subject.identifier does not match this patient's MRN"]);
    assert.deepEqual(at(15), ['/entry/15/resource/component: systolic must be higher than diastolic']);
    assert.deepEqual(at(16), ['/entry/16/resource/component: the diastolic component (LOINC 8462-4) is missing']);
    assert.deepEqual(at(17), ['/entry/17/resource/valueQuantity/system: unit system must be UCUM (http://unitsofmeasure.org)']);
    assert.deepEqual(at(18), ["/entry/18/resource/valueQuantity/comparator: a value with comparator '<' is a bound, not a measurement: not imported"]);
  });

  test('a batch entry without a request, or with DELETE, is refused', () => {
    const list = issues({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: good }, { resource: good, request: { method: 'DELETE', url: 'Observation/1' } }] });
    assert.deepEqual(
      list.map((i) => [i.entry, i.path]),
      [
        [0, '/entry/0/request'],
        [1, '/entry/1/request/method'],
      ],
    );
  });

  test('the same resource twice in one bundle is refused (same identifier, id or content)', () => {
    const byId = issues(collection(obs({ id: 'a', code: loinc('8867-4'), valueQuantity: qty(70, '/min') }), obs({ id: 'a', code: loinc('8867-4'), valueQuantity: qty(71, '/min') })));
    assert.deepEqual(byId, [{ entry: 1, path: '/entry/1/resource', message: 'duplicates entry 0 (same id)' }]);
    const byContent = issues(collection(good, good));
    assert.deepEqual(byContent, [{ entry: 1, path: '/entry/1/resource', message: 'duplicates entry 0 (same content)' }]);
  });

  test('a patient without an MRN cannot be named by identifier', () => {
    const r = mapBundle(collection(obs({ code: loinc('8867-4'), valueQuantity: qty(70, '/min'), subject: { identifier: { value: 'MRN-4711' } } })), { id: PATIENT.id, mrn: null }, NOW);
    assert.equal(r.issues.length, 1);
  });

  test('the list of problems is bounded', () => {
    const bad = obs({ valueQuantity: qty(70, '/min') });
    const r = map(collection(...Array.from({ length: 300 }, () => bad)));
    assert.equal(r.issues.length, 201);
    assert.match(r.issues[200]!.message, /more than 200 problems/);
  });
});
