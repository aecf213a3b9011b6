import { Readable } from 'node:stream';
import type {
  Attachment,
  FhirBundleInput,
  Observation,
  ObservationChartShare,
  ObservationContext,
  ObservationCreate,
  ObservationImportResult,
  ObservationMetric,
  ObservationSignal,
  Message,
} from '@haven/api';
import { FHIR_IMPORT_MAX_ENTRIES } from '@haven/api';
import type { Db } from '../../platform/db/database.js';
import type { ObservationSourceColumn, ObservationStatusColumn } from '../../platform/db/schema.js';
import { aad, IntegrityError } from '../../platform/crypto/aead.js';
import { hmac, safeEqual } from '../../platform/crypto/hash.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError, notFound, type ProblemItem } from '../../platform/http/errors.js';
import type { AttachmentService } from '../attachments/attachment.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { MessageService } from '../messages/message.service.js';
import type { PatientService } from '../patients/patient.service.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { UserRecord, UserService } from '../users/user.service.js';
import { renderChart, type ChartSeries } from './chart.js';
import { canonicalValues, entryCount, mapBundle, type ComponentValues, type MappedObservation } from './fhir.js';
import { implausible, METRIC_NAMES, METRICS, resolveUnit, roundValue, type MetricDef } from './metrics.js';
import type { ObservationInsert, ObservationRow, ObservationStore } from './observation.store.js';
import { assertTimeZone, dailyValues, dayOf, dayString, deriveSignals, HISTORY_DAYS, type Reading } from './signals.js';

const DAY_MS = 86_400_000;
/** Most observations one panel read decrypts (newest first); older ones in the range are left out. */
export const MAX_ROWS_PER_READ = 20_000;
/** Most observations per metric a panel answer lists (newest first); signals use all that were read. */
export const MAX_OBSERVATIONS_PER_SERIES = 500;
/** A chart with more readings than this plots daily means. */
export const MAX_CHART_POINTS = 1500;
export const MAX_CHART_DAYS = 366;
/** Future-dated readings within this much are accepted (device clocks). */
const FUTURE_SLACK_MS = DAY_MS;

/** What the encrypted values column holds. */
interface SealedValues {
  /** metric */
  m: ObservationMetric;
  /** values in the metric unit */
  v: ComponentValues;
  /** the metric unit */
  u: string;
  /** as reported: unit and values before conversion */
  r: { unit: string; values: ComponentValues };
}

interface Decoded {
  row: ObservationRow;
  metric: ObservationMetric;
  values: ComponentValues;
}

const valuesAad = (orgId: string, patientId: string, id: string, effectiveAt: Date): string => aad('observation', orgId, patientId, id, effectiveAt.getTime(), 'values');
const resourceAad = (orgId: string, patientId: string, id: string, effectiveAt: Date): string => aad('observation', orgId, patientId, id, effectiveAt.getTime(), 'resource');

/** Pads a plaintext to a multiple of `block` bytes with trailing spaces (JSON ignores them): lengths tell less. */
function padded(json: string, block: number): string {
  const len = Buffer.byteLength(json);
  return json + ' '.repeat((block - (len % block)) % block);
}

/** A UUID made of keyed-hash bytes: the same resource always gets the same id, and the id reveals nothing. */
function uuidFrom(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8 (custom)
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const invalid = (path: string, message: string): AppError => new AppError('invalid_observation', message, { errors: [{ path, message }] });
const dateLabel = (at: Date, timeZone: string): string => new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }).format(at);

/**
 * Health observations: authorization, encryption, import and entry, the context panel with its derived signals, and
 * charts shared into a thread. Values, units, the metric and raw FHIR resources are encrypted under the patient's
 * data key; the metric is indexed by a keyed tag (see docs/decisions/0010).
 */
export class ObservationService {
  constructor(
    private readonly db: Db,
    private readonly store: ObservationStore,
    private readonly patients: PatientService,
    private readonly users: UserService,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly attachments: AttachmentService,
    private readonly keyring: Keyring,
    private readonly audit: AuditService,
  ) {}

  // ---- keys and sealing ---------------------------------------------------------------------------------------

  /** Keyed tag of a metric within one patient's record: equal tags mean the same metric, for this patient only. */
  private metricTag(key: Buffer, patient: UserRecord, metric: ObservationMetric): Buffer {
    return hmac(key, `haven-observation-metric|${patient.org_id}|${patient.id}|${metric}`).subarray(0, 16);
  }

  private contentHash(key: Buffer, o: { metric: string; values: ComponentValues; effectiveAt: Date; status: string; source: string; resource?: unknown }): Buffer {
    const resource = o.resource === undefined ? '' : JSON.stringify(o.resource);
    return hmac(key, `haven-observation-content|${o.metric}|${canonicalValues(o.values)}|${o.effectiveAt.getTime()}|${o.status}|${o.source}|${resource}`);
  }

  private async seal(
    patient: UserRecord,
    key: Buffer,
    o: { id: string; metric: ObservationMetric; values: ComponentValues; reported: SealedValues['r']; effectiveAt: Date; status: ObservationStatusColumn; source: ObservationSourceColumn; resource?: unknown },
    enteredBy: string,
    at: Date,
  ): Promise<ObservationInsert> {
    const sealed: SealedValues = { m: o.metric, v: o.values, u: METRICS[o.metric].unit, r: o.reported };
    return {
      id: o.id,
      orgId: patient.org_id,
      patientId: patient.id,
      keyId: patient.key_id,
      metricTag: this.metricTag(key, patient, o.metric),
      effectiveAt: o.effectiveAt,
      status: o.status,
      source: o.source,
      enteredBy,
      valuesCt: await this.keyring.encrypt(patient.key_id, padded(JSON.stringify(sealed), 256), valuesAad(patient.org_id, patient.id, o.id, o.effectiveAt)),
      resourceCt: o.resource === undefined ? null : await this.keyring.encrypt(patient.key_id, padded(JSON.stringify(o.resource), 1024), resourceAad(patient.org_id, patient.id, o.id, o.effectiveAt)),
      contentHash: this.contentHash(key, o),
      at,
    };
  }

  /** Decrypts a row; a ciphertext moved to another row, or a tag that does not match the sealed metric, fails. */
  private async open(patient: UserRecord, key: Buffer, row: ObservationRow): Promise<Decoded> {
    const sealed = JSON.parse(await this.keyring.decrypt(row.key_id, row.values_ct, valuesAad(row.org_id, row.patient_id, row.id, row.effective_at))) as SealedValues;
    if (!(sealed.m in METRICS) || !safeEqual(this.metricTag(key, patient, sealed.m), row.metric_tag)) throw new IntegrityError('observation metric tag does not match');
    return { row, metric: sealed.m, values: sealed.v };
  }

  private present(d: Decoded): Observation {
    const { row } = d;
    const bp = d.metric === 'blood_pressure';
    return {
      id: row.id,
      patientId: row.patient_id,
      metric: d.metric,
      value: bp ? null : (d.values.value ?? null),
      components: bp ? { systolic: d.values.systolic!, diastolic: d.values.diastolic! } : null,
      unit: METRICS[d.metric].unit,
      effectiveAt: row.effective_at.toISOString(),
      // Rows that are entered-in-error are never read (the store leaves them out).
      status: row.status as Observation['status'],
      source: row.source,
      enteredBy: row.entered_by,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }

  /** Patients submit their own device data; everyone else's submissions are imports or staff entries. */
  private sourceFor(ctx: RequestContext, staffSource: 'fhir_import' | 'staff_entry'): ObservationSourceColumn {
    return ctx.actor.role === 'patient' ? 'patient_device' : staffSource;
  }

  // ---- FHIR import ----------------------------------------------------------------------------------------------

  /**
   * Imports a FHIR R4 Bundle of Observations, all or nothing: any invalid entry refuses the whole bundle (422, every
   * problem listed with its entry index and JSON path). A resource imported before (same identifier, else the same
   * id, else the same content) is replaced when it changed and left alone when it did not.
   */
  async importBundle(ctx: RequestContext, patientId: string, bundle: FhirBundleInput): Promise<ObservationImportResult> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'observations.write');
    const received = entryCount(bundle);
    if (received > FHIR_IMPORT_MAX_ENTRIES) {
      throw new AppError('too_many_entries', `A bundle holds at most ${FHIR_IMPORT_MAX_ENTRIES} entries; this one has ${received}. Split it into several imports.`);
    }
    const mrn = await this.users.cipher.open(patient.key_id, patient.org_id, patient.id, 'mrn', patient.mrn_ct);
    const { observations, issues } = mapBundle(bundle, { id: patient.id, mrn });
    if (issues.length > 0) {
      const entries = new Set(issues.flatMap((i) => (i.entry === undefined ? [] : [i.entry])));
      throw new AppError('invalid_bundle', `${issues.length} problem${issues.length === 1 ? '' : 's'}${entries.size ? ` in ${entries.size} entr${entries.size === 1 ? 'y' : 'ies'}` : ''}; nothing was imported`, { errors: issues });
    }
    const source = this.sourceFor(ctx, 'fhir_import');
    const key = await this.keyring.dataKey(patient.key_id);
    const at = new Date();
    const idOf = (o: MappedObservation) => uuidFrom(hmac(key, `haven-observation-id|${patient.org_id}|${patient.id}|${source}|${o.identity}`));
    const rows = await Promise.all(
      observations.map((o) =>
        this.seal(patient, key, { id: idOf(o), metric: o.metric, values: o.values, reported: o.reported, effectiveAt: o.effectiveAt, status: o.status, source, resource: o.resource }, ctx.actor.userId, at),
      ),
    );
    const written = await this.db.transaction().execute(async (tx) => {
      const result = rows.length > 0 ? await this.store.upsertImported(tx, rows) : new Map<string, 'created' | 'updated'>();
      const created = [...result.values()].filter((v) => v === 'created').length;
      await this.audit.recordFor(tx, ctx, {
        action: 'observations.import',
        resourceType: 'patient',
        resourceId: patient.id,
        patientId: patient.id,
        details: { received, created, updated: result.size - created, unchanged: rows.length - result.size, source },
      });
      return result;
    });
    const items = observations.map((o, i) => ({ entry: o.entry, id: rows[i]!.id, metric: o.metric, outcome: written.get(rows[i]!.id) ?? ('unchanged' as const) }));
    return {
      received,
      created: items.filter((i) => i.outcome === 'created').length,
      updated: items.filter((i) => i.outcome === 'updated').length,
      unchanged: items.filter((i) => i.outcome === 'unchanged').length,
      items,
    };
  }

  // ---- one observation ------------------------------------------------------------------------------------------

  /** Adds one observation. The client's id makes it idempotent: the same id and content answers the stored one. */
  async create(ctx: RequestContext, patientId: string, input: ObservationCreate): Promise<{ observation: Observation; replayed: boolean }> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'observations.write');
    const def = METRICS[input.metric];
    const { values, reported } = this.checkValues(def, input);
    const effectiveAt = new Date(input.effectiveAt);
    if (Number.isNaN(effectiveAt.getTime())) throw invalid('/body/effectiveAt', 'effectiveAt must be a date-time with a time zone');
    if (effectiveAt.getTime() > Date.now() + FUTURE_SLACK_MS) throw invalid('/body/effectiveAt', 'effectiveAt is in the future');
    if (effectiveAt.getUTCFullYear() < 1900) throw invalid('/body/effectiveAt', 'effectiveAt is before 1900');

    const id = input.id.toLowerCase();
    const source = this.sourceFor(ctx, 'staff_entry');
    const key = await this.keyring.dataKey(patient.key_id);
    const row = await this.seal(patient, key, { id, metric: input.metric, values, reported, effectiveAt, status: 'final', source }, ctx.actor.userId, new Date());
    const replayed = await this.db.transaction().execute(async (tx) => {
      if (!(await this.store.insertOne(tx, row))) {
        const existing = await this.store.byId(tx, id);
        const same =
          existing !== undefined &&
          existing.org_id === row.orgId &&
          existing.patient_id === row.patientId &&
          existing.source === row.source &&
          existing.entered_by === row.enteredBy &&
          safeEqual(existing.content_hash, row.contentHash);
        if (!same) throw new AppError('idempotency_conflict', 'A different observation was already stored with this id');
        return true;
      }
      await this.audit.recordFor(tx, ctx, { action: 'observations.create', resourceType: 'observation', resourceId: id, patientId: patient.id, details: { source } });
      return false;
    });
    const stored = await this.store.byId(this.db, id);
    return { observation: this.present(await this.open(patient, key, stored!)), replayed };
  }

  /** The values of a single entry, converted to the metric unit, or 422 with the field at fault. */
  private checkValues(def: MetricDef, input: ObservationCreate): { values: ComponentValues; reported: SealedValues['r'] } {
    const multi = def.components.length > 1;
    if (multi && input.value !== undefined) throw invalid('/body/value', `${def.metric} takes components (${def.components.map((c) => c.key).join(', ')}), not value`);
    if (!multi && input.components !== undefined) throw invalid('/body/components', `${def.metric} takes value, not components`);
    const unit = resolveUnit(def, input.unit);
    if (!unit.ok) throw invalid('/body/unit', unit.message);
    const values: ComponentValues = {};
    const reported: ComponentValues = {};
    for (const c of def.components) {
      const raw = multi ? input.components?.[c.key as 'systolic' | 'diastolic'] : input.value;
      const path = multi ? `/body/components/${c.key}` : '/body/value';
      if (raw === undefined || !Number.isFinite(raw)) throw invalid(multi ? '/body/components' : path, multi ? `${def.metric} needs components ${def.components.map((x) => x.key).join(' and ')}` : 'value is required');
      const converted = roundValue(unit.convert(raw));
      const problem = implausible(def, c, converted);
      if (problem) throw invalid(path, problem);
      values[c.key] = converted;
      reported[c.key] = raw;
    }
    if (def.metric === 'blood_pressure' && values.systolic! <= values.diastolic!) throw invalid('/body/components', 'systolic must be higher than diastolic');
    return { values, reported: { unit: unit.unit, values: reported } };
  }

  // ---- context panel --------------------------------------------------------------------------------------------

  /** Recent observations per metric and the signals derived from them, for the panel beside a thread. */
  async list(ctx: RequestContext, patientId: string, q: { days?: number; metric?: ObservationMetric; timeZone?: string }): Promise<ObservationContext> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'observations.read');
    const days = q.days ?? 30;
    const timeZone = this.timeZone(q.timeZone, '/query/timeZone');
    const now = new Date();
    const today = dayOf(now, timeZone);
    const windowFrom = today - days + 1;
    const key = await this.keyring.dataKey(patient.key_id);
    // Slack on each side (zones are up to 14 h from UTC; counted metrics look back one day more): calendar days of
    // the zone are cut below.
    const rows = await this.store.series({
      orgId: patient.org_id,
      patientId: patient.id,
      from: new Date((Math.min(windowFrom, today - HISTORY_DAYS + 1) - 2) * DAY_MS),
      to: new Date(now.getTime() + FUTURE_SLACK_MS),
      ...(q.metric ? { metricTags: [this.metricTag(key, patient, q.metric)] } : {}),
      limit: MAX_ROWS_PER_READ,
    });
    const decoded = await Promise.all(rows.map((r) => this.open(patient, key, r)));
    const byMetric = new Map<ObservationMetric, Decoded[]>();
    for (const d of decoded) {
      const list = byMetric.get(d.metric);
      if (list) list.push(d);
      else byMetric.set(d.metric, [d]);
    }

    const series: ObservationContext['series'] = [];
    const signals: ObservationSignal[] = [];
    for (const metric of METRIC_NAMES) {
      const list = byMetric.get(metric);
      if (!list) continue;
      const def = METRICS[metric];
      const inWindow = list.filter((d) => dayOf(d.row.effective_at, timeZone) >= windowFrom);
      const readings: Reading[] = list.map((d) => ({ at: d.row.effective_at, values: d.values }));
      signals.push(...deriveSignals(def, readings, { asOf: now, timeZone, days }));
      if (inWindow.length === 0) continue;
      series.push({
        metric,
        label: def.label,
        unit: def.unit,
        displayUnit: def.displayUnit,
        loinc: def.loinc[0] ?? null,
        referenceRanges: def.components.filter((c) => c.reference).map((c) => ({ component: c.key, low: c.reference?.low ?? null, high: c.reference?.high ?? null })),
        observations: inWindow.slice(0, MAX_OBSERVATIONS_PER_SERIES).map((d) => this.present(d)),
        truncated: inWindow.length > MAX_OBSERVATIONS_PER_SERIES || rows.length === MAX_ROWS_PER_READ,
      });
    }
    await this.audit.recordFor(this.db, ctx, {
      action: 'observations.list',
      resourceType: 'patient',
      resourceId: patient.id,
      patientId: patient.id,
      details: { days, returned: series.reduce((n, s) => n + s.observations.length, 0), series: series.length, signals: signals.length, filtered: q.metric !== undefined },
    });
    return { patientId: patient.id, window: { from: dayString(windowFrom), to: dayString(today), days, timeZone }, series, signals };
  }

  private timeZone(value: string | undefined, path: string): string {
    const tz = value ?? 'UTC';
    try {
      assertTimeZone(tz);
    } catch {
      throw new AppError('validation_failed', `${path}: unknown time zone (use an IANA name such as Europe/Berlin)`, { errors: [{ path, message: 'unknown time zone' }] });
    }
    return tz;
  }

  // ---- charts into a thread -------------------------------------------------------------------------------------

  /**
   * Renders a chart of one metric over a period and sends it into a thread of the patient as a PNG attachment of a
   * new message: the attachment is uploaded for the client's message id, then the message is sent (both through
   * their services, so the usual rules, encryption and audit apply). Idempotent by message id: a retry of the same
   * request answers the same message and attachment; another request under that id is a conflict.
   */
  async shareChart(ctx: RequestContext, patientId: string, input: ObservationChartShare): Promise<{ message: Message; attachment: Attachment; replayed: boolean }> {
    const patient = await this.patients.requirePatient(ctx, patientId, 'observations.share');
    const { thread } = await this.threads.require(ctx, input.threadId, 'messages.send');
    if (thread.kind !== 'patient' || thread.patient_id !== patient.id) throw notFound('thread');
    const from = new Date(input.from);
    const to = new Date(input.to);
    const periodProblem: ProblemItem | undefined =
      !(from.getTime() < to.getTime())
        ? { path: '/body/to', message: 'to must be after from' }
        : to.getTime() - from.getTime() > MAX_CHART_DAYS * DAY_MS
          ? { path: '/body/to', message: `a chart covers at most ${MAX_CHART_DAYS} days` }
          : undefined;
    if (periodProblem) throw new AppError('validation_failed', periodProblem.message, { errors: [periodProblem] });
    const timeZone = this.timeZone(input.timeZone, '/body/timeZone');
    const def = METRICS[input.metric];
    const period = `${dateLabel(from, timeZone)} – ${dateLabel(to, timeZone)}`;
    const text = input.text ?? `${def.label} chart, ${period}`;
    const fileName = `${def.metric.replace(/_/g, '-')}-${dayString(dayOf(from, timeZone))}-to-${dayString(dayOf(to, timeZone))}.png`;
    const messageId = input.messageId.toLowerCase();
    const key = await this.keyring.dataKey(patient.key_id);
    const requestHash = hmac(key, `haven-observation-chart|${JSON.stringify([thread.id, def.metric, from.getTime(), to.getTime(), timeZone, text])}`);

    const claim = await this.store.claimShare({ messageId, orgId: patient.org_id, patientId: patient.id, threadId: thread.id, createdBy: ctx.actor.userId, requestHash });
    const mine = claim.row.org_id === patient.org_id && claim.row.thread_id === thread.id && claim.row.created_by === ctx.actor.userId && safeEqual(claim.row.request_hash, requestHash);
    if (!mine) throw new AppError('idempotency_conflict', 'This message id was already used for another message');
    if (!claim.owned && !claim.row.attachment_id) throw new AppError('conflict', 'This chart is being shared by another request; retry shortly');
    if (claim.fresh && (await this.messages.idTaken(messageId))) {
      await this.store.releaseShare(patient.org_id, messageId);
      throw new AppError('idempotency_conflict', 'This message id was already used for another message');
    }

    let points = 0;
    let attachmentId = claim.row.attachment_id;
    if (!attachmentId) {
      try {
        // A retry after an upload whose claim was never completed adopts that upload instead of adding a second one.
        const earlier = (await this.attachments.list(ctx, thread.id, messageId)).items.find((a) => a.uploaderId === ctx.actor.userId && a.fileName === fileName);
        if (earlier) {
          attachmentId = earlier.id;
        } else {
          const chart = await this.chart(patient, key, def, from, to, timeZone, period);
          if (!chart) throw new AppError('no_observations', `No ${def.label.toLowerCase()} observations between ${period}`);
          points = chart.points;
          const uploaded = await this.attachments.upload(ctx, thread.id, messageId, {
            body: Readable.from([chart.png]),
            contentType: 'image/png',
            contentLength: chart.png.length,
            fileName: encodeURIComponent(fileName),
          });
          attachmentId = uploaded.id;
        }
        await this.store.setShareAttachment(patient.org_id, messageId, attachmentId);
      } catch (err) {
        // Nothing is half-claimed after a failure: the same request may be sent again at once.
        await this.store.releaseShare(patient.org_id, messageId);
        throw err;
      }
    }
    const { message, replayed } = await this.messages.send(ctx, thread.id, { id: messageId, body: text });
    const attachment = (await this.attachments.list(ctx, thread.id, messageId)).items.find((a) => a.id === attachmentId);
    if (!attachment) throw new IntegrityError('shared chart attachment is missing');
    await this.audit.recordFor(this.db, ctx, {
      action: 'observations.chart.share',
      resourceType: 'message',
      resourceId: messageId,
      patientId: patient.id,
      details: { threadId: thread.id, attachmentId, points, replayed },
    });
    return { message, attachment, replayed };
  }

  /** The chart PNG of one metric in a period, or undefined when the period has no observations of it. */
  private async chart(patient: UserRecord, key: Buffer, def: MetricDef, from: Date, to: Date, timeZone: string, period: string): Promise<{ png: Buffer; points: number } | undefined> {
    const rows = await this.store.series({ orgId: patient.org_id, patientId: patient.id, from, to, metricTags: [this.metricTag(key, patient, def.metric)], limit: MAX_ROWS_PER_READ });
    if (rows.length === 0) return undefined;
    const decoded = await Promise.all(rows.map((r) => this.open(patient, key, r)));
    const daily = decoded.length > MAX_CHART_POINTS;
    const series: ChartSeries[] = def.components.map((c) => {
      const raw = decoded.flatMap((d) => (d.values[c.key] === undefined ? [] : [{ at: d.row.effective_at, value: d.values[c.key]! }]));
      // Too many readings to draw one by one: one point per day at noon (UTC) of that day.
      const points = daily ? dailyValues(raw, def.daily, timeZone).map((v) => ({ at: new Date(v.day * DAY_MS + DAY_MS / 2), value: v.value })) : raw;
      return { key: c.key, label: def.components.length > 1 ? c.label.replace(/ blood pressure$/, '') : c.label, points, ...(c.reference ? { reference: c.reference } : {}) };
    });
    const subtitle = `${period} · ${decoded.length} reading${decoded.length === 1 ? '' : 's'}${daily ? ` (daily ${def.daily === 'sum' ? 'totals' : 'means'})` : ''} · ${timeZone}`;
    const { png } = await renderChart({ title: def.label, unit: def.displayUnit, from, to, timeZone, series, subtitle });
    return { png, points: decoded.length };
  }
}
