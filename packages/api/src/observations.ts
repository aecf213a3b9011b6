import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.js';
import { Attachment } from './attachments.js';
import { Message, MessageBody } from './messaging.js';

/**
 * Health observations: time series per patient (heart rate, HRV, weight, blood pressure, glucose, …), imported as
 * FHIR R4 Observation resources or entered one at a time, stored encrypted, read back with derived signals for the
 * context panel beside a thread, and shared into a thread as a chart image.
 */

/** Haven's metric catalogue (LOINC codes and units per metric: docs/api.md). */
export const ObservationMetric = Type.Union(
  [
    Type.Literal('heart_rate'),
    Type.Literal('resting_heart_rate'),
    Type.Literal('hrv_sdnn'),
    Type.Literal('hrv_rmssd'),
    Type.Literal('stress_score'),
    Type.Literal('sleep_efficiency'),
    Type.Literal('sleep_duration'),
    Type.Literal('weight'),
    Type.Literal('blood_pressure'),
    Type.Literal('glucose'),
    Type.Literal('steps'),
    Type.Literal('oxygen_saturation'),
    Type.Literal('respiratory_rate'),
    Type.Literal('body_temperature'),
  ],
  { description: 'A metric of the Haven catalogue' },
);
export type ObservationMetric = Static<typeof ObservationMetric>;

export const ObservationSource = Type.Union([Type.Literal('fhir_import'), Type.Literal('staff_entry'), Type.Literal('patient_device')], {
  description: 'fhir_import: a FHIR bundle imported by staff; staff_entry: entered by staff; patient_device: imported or entered by the patient',
});
export type ObservationSource = Static<typeof ObservationSource>;

export const ObservationStatus = Type.Union([Type.Literal('final'), Type.Literal('amended'), Type.Literal('corrected'), Type.Literal('preliminary')], {
  description: 'FHIR Observation.status (entered-in-error observations are never returned)',
});

/** The two values of a blood pressure reading, in mm[Hg]. */
export const BloodPressureComponents = Type.Object(
  { systolic: Type.Number(), diastolic: Type.Number() },
  { additionalProperties: false, description: 'Blood pressure only: systolic and diastolic' },
);

/** Limits of one import request (also enforced by the server). */
export const FHIR_IMPORT_MAX_ENTRIES = 1000;
export const FHIR_IMPORT_MAX_BYTES = 5 * 1024 * 1024;

/**
 * A FHIR R4 Bundle (type batch, transaction or collection) of Observation resources. Validated by the server entry by
 * entry (an invalid bundle answers 422 `invalid_bundle` listing every problem), so the schema here is only "an object".
 */
export interface FhirBundleInput {
  resourceType: string;
  type?: string;
  entry?: unknown[];
  [key: string]: unknown;
}
export const FhirBundle = Type.Unsafe<FhirBundleInput>({
  type: 'object',
  description: `FHIR R4 Bundle (batch, transaction or collection) of Observation resources; at most ${FHIR_IMPORT_MAX_ENTRIES} entries`,
});

export const ObservationCreate = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Client-generated id; sending the same id again never duplicates' }),
    metric: ObservationMetric,
    value: Type.Optional(Type.Number({ description: 'The value, for every metric but blood_pressure' })),
    components: Type.Optional(BloodPressureComponents),
    unit: Type.String({ minLength: 1, maxLength: 40, description: "UCUM code of the value's unit (e.g. kg, [lb_av], mm[Hg], mg/dL, mmol/L); converted to the metric's unit" }),
    effectiveAt: Type.String({ format: 'date-time', description: 'When it was measured' }),
  },
  { additionalProperties: false },
);
export type ObservationCreate = Static<typeof ObservationCreate>;

export const Observation = Type.Object({
  id: Uuid,
  patientId: Uuid,
  metric: ObservationMetric,
  value: Type.Union([Type.Number(), Type.Null()], { description: 'In the metric unit; null for blood_pressure' }),
  components: Type.Union([BloodPressureComponents, Type.Null()]),
  unit: Type.String({ description: 'UCUM code of the metric unit (values are converted to it)' }),
  effectiveAt: Timestamp,
  status: ObservationStatus,
  source: ObservationSource,
  enteredBy: Uuid,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Observation = Static<typeof Observation>;

export const ObservationImportResult = Type.Object({
  received: Type.Integer({ description: 'Entries in the bundle' }),
  created: Type.Integer(),
  updated: Type.Integer({ description: 'Already imported (same identifier or id) with different content: replaced' }),
  unchanged: Type.Integer({ description: 'Already imported with the same content: nothing written' }),
  items: Type.Array(
    Type.Object({
      entry: Type.Integer({ description: 'Index of the entry in the bundle' }),
      id: Uuid,
      metric: ObservationMetric,
      outcome: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
    }),
  ),
});
export type ObservationImportResult = Static<typeof ObservationImportResult>;

export const ObservationListQuery = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'Window: the last N days (calendar days in timeZone, today included)' })),
    metric: Type.Optional(ObservationMetric),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone that decides calendar days (default UTC)' })),
  },
  { additionalProperties: false },
);

const Day = Type.String({ format: 'date' });
export const DayWindow = Type.Object({ from: Day, to: Day });

export const MetricSeries = Type.Object({
  metric: ObservationMetric,
  label: Type.String(),
  unit: Type.String({ description: 'UCUM code' }),
  displayUnit: Type.String({ description: 'Unit as people write it (bpm, mmHg, kg)' }),
  loinc: Type.Union([Type.String(), Type.Null()], { description: 'Preferred LOINC code; null for metrics without one' }),
  referenceRanges: Type.Array(
    Type.Object({ component: Type.String(), low: Type.Union([Type.Number(), Type.Null()]), high: Type.Union([Type.Number(), Type.Null()]) }),
    { description: 'General adult reference ranges Haven uses for its signals (not individual targets)' },
  ),
  observations: Type.Array(Observation, { description: 'Newest first' }),
  truncated: Type.Boolean({ description: 'More observations exist in the window than were returned' }),
});

export const ObservationSignal = Type.Object({
  metric: ObservationMetric,
  component: Type.String({ description: 'value, or systolic/diastolic for blood pressure' }),
  kind: Type.Union([Type.Literal('streak'), Type.Literal('vs_usual'), Type.Literal('trend')]),
  direction: Type.Union([Type.Literal('above'), Type.Literal('below'), Type.Literal('rising'), Type.Literal('falling')]),
  window: DayWindow,
  values: Type.Object({
    days: Type.Optional(Type.Integer({ description: 'streak: consecutive days' })),
    threshold: Type.Optional(Type.Number({ description: 'streak: the bound each day crossed' })),
    basis: Type.Optional(Type.Union([Type.Literal('reference_range'), Type.Literal('usual')], { description: 'streak: where the threshold comes from' })),
    recent: Type.Optional(Type.Number({ description: 'vs_usual: mean of the daily values of the last 7 days' })),
    usual: Type.Optional(Type.Number({ description: "The patient's usual value: median of the daily values of the 28 days before the last 7" })),
    change: Type.Optional(Type.Number({ description: 'trend: fitted change over the window; vs_usual: recent − usual' })),
    perWeek: Type.Optional(Type.Number({ description: 'trend: fitted change per 7 days' })),
  }),
  unit: Type.String(),
  summary: Type.String({ description: 'Plain-language English' }),
});
export type ObservationSignal = Static<typeof ObservationSignal>;

export const ObservationContext = Type.Object({
  patientId: Uuid,
  window: Type.Object({ from: Day, to: Day, days: Type.Integer(), timeZone: Type.String() }),
  series: Type.Array(MetricSeries, { description: 'One per metric with observations in the window' }),
  signals: Type.Array(ObservationSignal),
});
export type ObservationContext = Static<typeof ObservationContext>;

export const ObservationChartShare = Type.Object(
  {
    threadId: Uuid,
    messageId: Type.String({ format: 'uuid', description: 'Client-generated id of the new message; sending the same request again never duplicates' }),
    metric: ObservationMetric,
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone of the axis labels (default UTC)' })),
    text: Type.Optional(MessageBody),
  },
  { additionalProperties: false },
);
export type ObservationChartShare = Static<typeof ObservationChartShare>;

export const ObservationChartShareResult = Type.Object({ message: Message, attachment: Attachment });
