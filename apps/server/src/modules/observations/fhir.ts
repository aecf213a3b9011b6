import type { ObservationMetric } from '@haven/api';
import type { ProblemItem } from '../../platform/http/errors.js';
import { HAVEN_METRICS, implausible, LOINC, lookupCoding, METRICS, resolveUnit, roundValue, UCUM, type ComponentDef, type ComponentKey, type MetricDef } from './metrics.js';

/**
 * FHIR R4 → Haven: validates a Bundle of Observation resources and maps each entry to a metric, values in the
 * metric's unit, an effective time and an identity for idempotent re-import. Pure: no database, no keys. Every
 * problem is collected with its entry index and a JSON Pointer, so one answer lists everything to fix.
 */

export type ComponentValues = Partial<Record<ComponentKey, number>>;
/** Statuses that import. entered-in-error imports too (it hides an earlier import of the same resource). */
export type ImportStatus = 'final' | 'amended' | 'corrected' | 'preliminary' | 'entered-in-error';
const IMPORT_STATUSES: readonly ImportStatus[] = ['final', 'amended', 'corrected', 'preliminary', 'entered-in-error'];

export interface MappedObservation {
  entry: number;
  /** Stable identity of the resource: identifier, else resource id, else its content (for id-less resources). */
  identity: string;
  metric: ObservationMetric;
  /** In the metric's unit. */
  values: ComponentValues;
  /** As sent: unit code and values before conversion. */
  reported: { unit: string; values: ComponentValues };
  effectiveAt: Date;
  status: ImportStatus;
  /** The resource as received (stored encrypted). */
  resource: unknown;
}

export interface PatientIdentity {
  id: string;
  /** The patient's MRN, for subject.identifier; null when the record has none. */
  mrn: string | null;
}

export interface MapResult {
  observations: MappedObservation[];
  issues: ProblemItem[];
}

const BUNDLE_TYPES = ['batch', 'transaction', 'collection'];
const MAX_ISSUES = 200;
/** Readings may be stamped slightly ahead by a device clock; more than this in the future is refused. */
const FUTURE_SLACK_MS = 24 * 3600 * 1000;
const EARLIEST = Date.UTC(1900, 0, 1);
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (v: unknown): string => (typeof v === 'string' ? `'${v.slice(0, 80)}'` : JSON.stringify(v)?.slice(0, 80) ?? String(v));

class Issues {
  readonly list: ProblemItem[] = [];
  private overflow = false;
  add(path: string, message: string, entry?: number): void {
    if (this.list.length >= MAX_ISSUES) {
      if (!this.overflow) this.list.push({ path: '', message: `more than ${MAX_ISSUES} problems; fix these and send the bundle again` });
      this.overflow = true;
      return;
    }
    this.list.push(entry === undefined ? { path, message } : { path, message, entry });
  }
  /** Adds a problem and gives up on the current item. */
  fail(path: string, message: string, entry?: number): undefined {
    this.add(path, message, entry);
    return undefined;
  }
}

/**
 * Parses a FHIR dateTime or instant of at least day precision. A date without a time is taken as 12:00 UTC, so its
 * calendar day stays the same in every time zone within ±12 h. Returns an error message instead of a date when invalid.
 */
export function parseFhirDateTime(value: unknown): Date | string {
  if (typeof value !== 'string') return 'must be a FHIR dateTime string';
  const m = DATE_TIME.exec(value);
  if (!m) return `${quote(value)} is not a FHIR dateTime (YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a time zone)`;
  const [, y, mo, d, hh, mi, ss, frac, tz] = m;
  if (mo === undefined || d === undefined) return `${quote(value)} is not precise enough: give at least a day`;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = hh === undefined ? 12 : Number(hh);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = ss === undefined ? 0 : Number(ss);
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const base = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(base);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return `${quote(value)} is not a real date and time`;
  }
  let offsetMs = 0;
  if (tz && tz !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const [oh, om] = tz.slice(1).split(':').map(Number) as [number, number];
    if (oh > 14 || om > 59) return `${quote(value)} has an invalid time zone offset`;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  return new Date(base - offsetMs);
}

function checkTime(at: Date, now: Date): string | undefined {
  if (at.getTime() < EARLIEST) return 'is before 1900';
  if (at.getTime() > now.getTime() + FUTURE_SLACK_MS) return 'is in the future';
  return undefined;
}

/** The metric a resource's code names, or a problem (with the path of the coding at fault). */
function metricOf(resource: Json, base: string, entry: number, issues: Issues): ObservationMetric | undefined {
  const code = resource.code;
  if (code === undefined) return issues.fail(`${base}/code`, 'code is required', entry);
  if (!isObject(code)) return issues.fail(`${base}/code`, 'code must be a CodeableConcept', entry);
  const codings = code.coding;
  if (!Array.isArray(codings) || codings.length === 0) return issues.fail(`${base}/code/coding`, 'code.coding must list at least one coding', entry);
  const found = new Set<ObservationMetric>();
  let firstUnknownCode: number | undefined;
  let componentOnly: { at: number; label: string; metric: ObservationMetric } | undefined;
  codings.forEach((c, i) => {
    if (!isObject(c)) return;
    const hit = lookupCoding(c.system, c.code);
    if (hit.kind === 'metric') found.add(hit.metric);
    else if (hit.kind === 'component') componentOnly ??= { at: i, label: hit.component.label, metric: hit.metric };
    else if (hit.kind === 'unknown_code') firstUnknownCode ??= i;
  });
  if (found.size === 1) return [...found][0];
  if (found.size > 1) return issues.fail(`${base}/code/coding`, `the codings name different metrics (${[...found].join(', ')})`, entry);
  if (componentOnly) {
    const panel = METRICS[componentOnly.metric];
    issues.add(`${base}/code/coding/${componentOnly.at}/code`, `${componentOnly.label} alone is not imported: send ${panel.label.toLowerCase()} as one ${panel.loinc[0]} panel with all its components`, entry);
    return undefined;
  }
  if (firstUnknownCode !== undefined) {
    const c = codings[firstUnknownCode] as Json;
    issues.add(`${base}/code/coding/${firstUnknownCode}/code`, `code ${quote(c.code)} of ${String(c.system)} is not a metric Haven imports (see the metric catalogue)`, entry);
    return undefined;
  }
  const i = codings.findIndex(isObject);
  const system = i >= 0 ? (codings[i] as Json).system : undefined;
  issues.add(`${base}/code/coding/${Math.max(i, 0)}/system`, `unknown code system ${quote(system)}: use LOINC (${LOINC}) or Haven's metric codes (${HAVEN_METRICS})`, entry);
  return undefined;
}

/** A valueQuantity converted to the metric's unit, or undefined after reporting the problem. */
function quantity(q: unknown, def: MetricDef, component: ComponentDef, path: string, entry: number, issues: Issues): { value: number; reported: number; unit: string } | undefined {
  if (!isObject(q)) return issues.fail(path, 'valueQuantity is required', entry);
  const raw = q.value;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return issues.fail(`${path}/value`, 'value must be a number', entry);
  if (q.comparator !== undefined) return issues.fail(`${path}/comparator`, `a value with comparator ${quote(q.comparator)} is a bound, not a measurement: not imported`, entry);
  if (q.system !== undefined && q.system !== UCUM) return issues.fail(`${path}/system`, `unit system must be UCUM (${UCUM})`, entry);
  const unitText = typeof q.code === 'string' ? q.code : typeof q.unit === 'string' ? q.unit : undefined;
  const unitPath = typeof q.code === 'string' ? `${path}/code` : `${path}/unit`;
  if (unitText === undefined) return issues.fail(`${path}/code`, `a unit is required (UCUM code, e.g. ${def.unit})`, entry);
  const unit = resolveUnit(def, unitText);
  if (!unit.ok) return issues.fail(unitPath, unit.message, entry);
  const value = roundValue(unit.convert(raw));
  const problem = implausible(def, component, value);
  if (problem) return issues.fail(`${path}/value`, problem, entry);
  return { value, reported: raw, unit: unit.unit };
}

function subjectProblem(subject: unknown, patient: PatientIdentity): string | undefined {
  if (!isObject(subject)) return 'subject must be a Reference';
  if (typeof subject.reference === 'string') {
    const m = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(subject.reference);
    if (!m) return `subject.reference must be Patient/${patient.id}`;
    return m[1]!.toLowerCase() === patient.id.toLowerCase() ? undefined : 'subject is another patient than the one this import is for';
  }
  if (isObject(subject.identifier)) {
    const value = subject.identifier.value;
    if (typeof value !== 'string') return 'subject.identifier.value must be a string';
    if (!patient.mrn || value.trim().toUpperCase() !== patient.mrn.trim().toUpperCase()) return "subject.identifier does not match this patient's MRN";
    return undefined;
  }
  return `subject must reference this patient (Patient/${patient.id} or an identifier with the MRN)`;
}

function effectiveOf(resource: Json, base: string, entry: number, issues: Issues, now: Date): Date | undefined {
  const check = (value: unknown, path: string): Date | undefined => {
    const at = parseFhirDateTime(value);
    if (typeof at === 'string') return issues.fail(path, at, entry);
    const problem = checkTime(at, now);
    if (problem) return issues.fail(path, `${quote(value)} ${problem}`, entry);
    return at;
  };
  if (resource.effectiveDateTime !== undefined) return check(resource.effectiveDateTime, `${base}/effectiveDateTime`);
  if (resource.effectiveInstant !== undefined) return check(resource.effectiveInstant, `${base}/effectiveInstant`);
  if (resource.effectivePeriod !== undefined) {
    const period = resource.effectivePeriod;
    if (!isObject(period) || period.start === undefined) return issues.fail(`${base}/effectivePeriod/start`, 'effectivePeriod needs a start', entry);
    return check(period.start, `${base}/effectivePeriod/start`);
  }
  if (resource.effectiveTiming !== undefined) return issues.fail(`${base}/effectiveTiming`, 'effectiveTiming is not supported: use effectiveDateTime, effectiveInstant or effectivePeriod', entry);
  issues.add(`${base}/effectiveDateTime`, 'effective[x] is required (effectiveDateTime, effectiveInstant or effectivePeriod)', entry);
  return undefined;
}

/** The resource's values: valueQuantity, or the components of a panel (blood pressure). */
function valuesOf(resource: Json, def: MetricDef, base: string, entry: number, issues: Issues): { values: ComponentValues; reported: ComponentValues; unit: string } | undefined {
  if (def.components.length === 1) {
    const component = def.components[0]!;
    if (resource.valueQuantity === undefined) {
      const other = Object.keys(resource).find((k) => k.startsWith('value'));
      if (other) return issues.fail(`${base}/${other}`, `${other} is not supported: ${def.metric} needs valueQuantity`, entry);
      const absent = resource.dataAbsentReason !== undefined ? ' (the resource carries a dataAbsentReason: nothing to import)' : '';
      return issues.fail(`${base}/valueQuantity`, `valueQuantity is required${absent}`, entry);
    }
    const q = quantity(resource.valueQuantity, def, component, `${base}/valueQuantity`, entry, issues);
    return q ? { values: { [component.key]: q.value }, reported: { [component.key]: q.reported }, unit: q.unit } : undefined;
  }
  const list = resource.component;
  if (!Array.isArray(list)) {
    return issues.fail(`${base}/component`, `${def.metric} needs its components: ${def.components.map((c) => `${c.key} (${c.loinc[0]})`).join(', ')}`, entry);
  }
  const values: ComponentValues = {};
  const reported: ComponentValues = {};
  const units = new Set<string>();
  let ok = true;
  for (const component of def.components) {
    const at = list.findIndex((c) => isObject(c) && isObject(c.code) && Array.isArray(c.code.coding) && c.code.coding.some((x) => isObject(x) && x.system === LOINC && typeof x.code === 'string' && component.loinc.includes(x.code)));
    if (at < 0) {
      issues.add(`${base}/component`, `the ${component.key} component (LOINC ${component.loinc[0]}) is missing`, entry);
      ok = false;
      continue;
    }
    const q = quantity((list[at] as Json).valueQuantity, def, component, `${base}/component/${at}/valueQuantity`, entry, issues);
    if (!q) {
      ok = false;
      continue;
    }
    values[component.key] = q.value;
    reported[component.key] = q.reported;
    units.add(q.unit);
  }
  if (!ok) return undefined;
  if (def.metric === 'blood_pressure' && values.systolic! <= values.diastolic!) {
    return issues.fail(`${base}/component`, 'systolic must be higher than diastolic', entry);
  }
  if (units.size > 1) return issues.fail(`${base}/component`, 'the components use different units', entry);
  return { values, reported, unit: [...units][0]! };
}

function identityOf(resource: Json, base: string, entry: number, issues: Issues): string | null | undefined {
  if (resource.identifier !== undefined) {
    if (!Array.isArray(resource.identifier)) return issues.fail(`${base}/identifier`, 'identifier must be an array', entry);
    const first = resource.identifier.find((i) => isObject(i) && typeof i.value === 'string' && i.value.length > 0) as Json | undefined;
    if (first) return `identifier|${typeof first.system === 'string' ? first.system : ''}|${String(first.value)}`;
  }
  if (resource.id !== undefined) {
    if (typeof resource.id !== 'string' || !FHIR_ID.test(resource.id)) return issues.fail(`${base}/id`, 'id must be a FHIR id (1–64 letters, digits, - and .)', entry);
    return `id|${resource.id}`;
  }
  return null;
}

function mapEntry(raw: unknown, i: number, bundleType: string, patient: PatientIdentity, issues: Issues, now: Date): MappedObservation | undefined {
  const at = `/entry/${i}`;
  if (!isObject(raw)) return issues.fail(at, 'entry must be an object', i);
  const before = issues.list.length;
  if (bundleType !== 'collection') {
    const request = raw.request;
    if (!isObject(request)) {
      issues.add(`${at}/request`, `a ${bundleType} entry needs request (POST or PUT to Observation)`, i);
    } else {
      if (request.method !== 'POST' && request.method !== 'PUT') issues.add(`${at}/request/method`, `method ${quote(request.method)} is not accepted: POST or PUT`, i);
      if (typeof request.url !== 'string' || !/^Observation(?:[/?]|$)/.test(request.url)) issues.add(`${at}/request/url`, 'url must name Observation', i);
    }
  }
  const resource = raw.resource;
  const base = `${at}/resource`;
  if (!isObject(resource)) return issues.fail(base, 'resource is required', i);
  if (resource.resourceType !== 'Observation') return issues.fail(`${base}/resourceType`, `resourceType ${quote(resource.resourceType)}: only Observation resources are imported`, i);

  let status: ImportStatus | undefined;
  if (typeof resource.status !== 'string' || !IMPORT_STATUSES.includes(resource.status as ImportStatus)) {
    issues.add(`${base}/status`, `status ${quote(resource.status)} cannot be imported: use ${IMPORT_STATUSES.join(', ')}`, i);
  } else {
    status = resource.status as ImportStatus;
  }
  const metric = metricOf(resource, base, i, issues);
  if (resource.subject !== undefined) {
    const problem = subjectProblem(resource.subject, patient);
    if (problem) issues.add(`${base}/subject`, problem, i);
  }
  const effectiveAt = effectiveOf(resource, base, i, issues, now);
  const values = metric ? valuesOf(resource, METRICS[metric], base, i, issues) : undefined;
  const identity = identityOf(resource, base, i, issues);
  if (issues.list.length > before || !status || !metric || !effectiveAt || !values || identity === undefined) return undefined;
  return {
    entry: i,
    identity: identity ?? `content|${metric}|${effectiveAt.getTime()}|${canonicalValues(values.values)}`,
    metric,
    values: values.values,
    reported: { unit: values.unit, values: values.reported },
    effectiveAt,
    status,
    resource,
  };
}

/** Values as a stable string (keys sorted) for hashing and identities. */
export function canonicalValues(values: ComponentValues): string {
  return JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k as ComponentKey]]));
}

/** Validates and maps a bundle; when `issues` is not empty nothing may be imported. */
export function mapBundle(bundle: unknown, patient: PatientIdentity, now = new Date()): MapResult {
  const issues = new Issues();
  if (!isObject(bundle)) return { observations: [], issues: [{ path: '', message: 'the body must be a FHIR Bundle (a JSON object)' }] };
  if (bundle.resourceType !== 'Bundle') {
    issues.add('/resourceType', `resourceType ${quote(bundle.resourceType)}: send a Bundle of Observation resources`);
    return { observations: [], issues: issues.list };
  }
  const type = bundle.type;
  if (typeof type !== 'string' || !BUNDLE_TYPES.includes(type)) {
    issues.add('/type', `bundle type ${quote(type)} is not accepted: use batch, transaction or collection`);
    return { observations: [], issues: issues.list };
  }
  if (bundle.entry === undefined) return { observations: [], issues: [] };
  if (!Array.isArray(bundle.entry)) return { observations: [], issues: [{ path: '/entry', message: 'entry must be an array' }] };
  const observations: MappedObservation[] = [];
  const seen = new Map<string, number>();
  bundle.entry.forEach((raw, i) => {
    const mapped = mapEntry(raw, i, type, patient, issues, now);
    if (!mapped) return;
    const earlier = seen.get(mapped.identity);
    if (earlier !== undefined) {
      issues.add(`/entry/${i}/resource`, `duplicates entry ${earlier} (same ${mapped.identity.split('|')[0]})`, i);
      return;
    }
    seen.set(mapped.identity, i);
    observations.push(mapped);
  });
  return { observations, issues: issues.list };
}

/** Number of entries of a bundle-shaped body, for the size limit (checked before anything else). */
export function entryCount(bundle: unknown): number {
  return isObject(bundle) && Array.isArray(bundle.entry) ? bundle.entry.length : 0;
}
