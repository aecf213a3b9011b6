import type { ObservationMetric } from '@haven/api';

/**
 * Haven's metric catalogue: what each metric is, how FHIR names it (LOINC, or Haven's own code system where LOINC
 * has no code), its unit (UCUM) and the units converted to it, plausible values, the general adult reference range
 * and the change that counts as meaningful for the derived signals. Pure data and pure functions.
 */

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
/** Haven's code system for metrics without a LOINC code (its codes are the metric names). */
export const HAVEN_METRICS = 'https://haven.dev/fhir/CodeSystem/observation-metric';

export type ComponentKey = 'value' | 'systolic' | 'diastolic';

export interface ComponentDef {
  key: ComponentKey;
  label: string;
  /** LOINC codes of the component inside a panel (blood pressure); empty for single-valued metrics. */
  loinc: readonly string[];
  /** Values outside this range (metric unit) are refused as implausible (usually a wrong unit). */
  plausible: readonly [number, number];
  /** General adult reference range used by the signals; a missing bound means none. */
  reference?: { low?: number; high?: number };
}

export interface MetricDef {
  metric: ObservationMetric;
  label: string;
  /** UCUM code of the unit values are stored and returned in. */
  unit: string;
  displayUnit: string;
  /** LOINC codes that import as this metric (the first is the preferred one); empty when LOINC has none. */
  loinc: readonly string[];
  /** Accepted UCUM codes and the conversion of each to `unit`. */
  units: Readonly<Record<string, (v: number) => number>>;
  components: readonly ComponentDef[];
  /** How readings of one day make the daily value the signals work on. */
  daily: 'mean' | 'sum';
  /** Which direction is worth a signal. */
  watch: 'high' | 'low' | 'both';
  /** The smallest difference (metric unit) that counts as a change worth telling. */
  meaningfulChange: number;
  decimals: number;
}

const same = (v: number) => v;
const per = (factor: number) => (v: number) => v * factor;

const RATE = { '/min': same, '{beats}/min': same, '{beat}/min': same, '1/min': same };
const PERCENT = { '%': same, '1': per(100) };

const single = (label: string, plausible: readonly [number, number], reference?: { low?: number; high?: number }): ComponentDef[] => [
  { key: 'value', label, loinc: [], plausible, ...(reference ? { reference } : {}) },
];

const DEFS: MetricDef[] = [
  {
    metric: 'heart_rate',
    label: 'Heart rate',
    unit: '/min',
    displayUnit: 'bpm',
    loinc: ['8867-4'],
    units: RATE,
    components: single('Heart rate', [20, 300], { low: 50, high: 100 }),
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 5,
    decimals: 0,
  },
  {
    metric: 'resting_heart_rate',
    label: 'Resting heart rate',
    unit: '/min',
    displayUnit: 'bpm',
    loinc: ['40443-4'],
    units: RATE,
    components: single('Resting heart rate', [20, 250], { low: 40, high: 100 }),
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 5,
    decimals: 0,
  },
  {
    // LOINC 80404-7 is "R-R interval.standard deviation (Heart rate variability)": SDNN, as Apple Health exports it.
    metric: 'hrv_sdnn',
    label: 'Heart rate variability (SDNN)',
    unit: 'ms',
    displayUnit: 'ms',
    loinc: ['80404-7'],
    units: { ms: same, s: per(1000) },
    components: single('HRV (SDNN)', [1, 500]),
    daily: 'mean',
    watch: 'low',
    meaningfulChange: 10,
    decimals: 0,
  },
  {
    // RMSSD (what most wearables report as HRV) has no LOINC code.
    metric: 'hrv_rmssd',
    label: 'Heart rate variability (RMSSD)',
    unit: 'ms',
    displayUnit: 'ms',
    loinc: [],
    units: { ms: same, s: per(1000) },
    components: single('HRV (RMSSD)', [1, 500]),
    daily: 'mean',
    watch: 'low',
    meaningfulChange: 10,
    decimals: 0,
  },
  {
    metric: 'stress_score',
    label: 'Stress score',
    unit: '{score}',
    displayUnit: '',
    loinc: [],
    units: { '{score}': same, '1': same },
    components: single('Stress score', [0, 100]),
    daily: 'mean',
    watch: 'high',
    meaningfulChange: 10,
    decimals: 0,
  },
  {
    metric: 'sleep_efficiency',
    label: 'Sleep efficiency',
    unit: '%',
    displayUnit: '%',
    loinc: [],
    units: PERCENT,
    components: single('Sleep efficiency', [0, 100], { low: 85 }),
    daily: 'mean',
    watch: 'low',
    meaningfulChange: 5,
    decimals: 0,
  },
  {
    metric: 'sleep_duration',
    label: 'Sleep duration',
    unit: 'min',
    displayUnit: 'min',
    loinc: ['93832-4'],
    units: { min: same, h: per(60), s: per(1 / 60) },
    components: single('Sleep duration', [0, 1440], { low: 420 }),
    daily: 'sum',
    watch: 'low',
    meaningfulChange: 45,
    decimals: 0,
  },
  {
    metric: 'weight',
    label: 'Weight',
    unit: 'kg',
    displayUnit: 'kg',
    loinc: ['29463-7', '3141-9'],
    units: { kg: same, g: per(1 / 1000), '[lb_av]': per(0.45359237), '[oz_av]': per(0.028349523125) },
    components: single('Weight', [0.5, 700]),
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 2,
    decimals: 1,
  },
  {
    metric: 'blood_pressure',
    label: 'Blood pressure',
    unit: 'mm[Hg]',
    displayUnit: 'mmHg',
    loinc: ['85354-9', '55284-4'],
    units: { 'mm[Hg]': same, kPa: per(7.500615758) },
    components: [
      { key: 'systolic', label: 'Systolic blood pressure', loinc: ['8480-6'], plausible: [40, 300], reference: { low: 90, high: 130 } },
      { key: 'diastolic', label: 'Diastolic blood pressure', loinc: ['8462-4'], plausible: [20, 200], reference: { low: 60, high: 80 } },
    ],
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 10,
    decimals: 0,
  },
  {
    metric: 'glucose',
    label: 'Glucose',
    unit: 'mg/dL',
    displayUnit: 'mg/dL',
    loinc: ['2339-0', '15074-8', '2345-7', '14749-6', '41653-7'],
    // Glucose: 180.156 g/mol, so 1 mmol/L = 18.0156 mg/dL.
    units: { 'mg/dL': same, 'mmol/L': per(18.0156), 'g/L': per(100), 'mg/L': per(1 / 10) },
    components: single('Glucose', [10, 1500], { low: 70, high: 180 }),
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 20,
    decimals: 0,
  },
  {
    metric: 'steps',
    label: 'Steps',
    unit: '{steps}',
    displayUnit: 'steps',
    loinc: ['55423-8', '41950-7'],
    units: { '{steps}': same, '{step}': same, '{count}': same, '1': same, '/d': same, '{steps}/d': same },
    components: single('Steps', [0, 200_000]),
    daily: 'sum',
    watch: 'low',
    meaningfulChange: 2000,
    decimals: 0,
  },
  {
    metric: 'oxygen_saturation',
    label: 'Oxygen saturation',
    unit: '%',
    displayUnit: '%',
    loinc: ['59408-5', '2708-6'],
    units: PERCENT,
    components: single('Oxygen saturation', [50, 100], { low: 92 }),
    daily: 'mean',
    watch: 'low',
    meaningfulChange: 2,
    decimals: 0,
  },
  {
    metric: 'respiratory_rate',
    label: 'Respiratory rate',
    unit: '/min',
    displayUnit: '/min',
    loinc: ['9279-1'],
    units: { ...RATE, '{breaths}/min': same, '{breath}/min': same },
    components: single('Respiratory rate', [2, 80], { low: 12, high: 20 }),
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 3,
    decimals: 0,
  },
  {
    metric: 'body_temperature',
    label: 'Body temperature',
    unit: 'Cel',
    displayUnit: '°C',
    loinc: ['8310-5'],
    units: { Cel: same, '[degF]': (v) => ((v - 32) * 5) / 9 },
    components: single('Body temperature', [25, 45], { low: 35, high: 38 }),
    daily: 'mean',
    watch: 'both',
    meaningfulChange: 0.5,
    decimals: 1,
  },
];

export const METRICS: Readonly<Record<ObservationMetric, MetricDef>> = Object.fromEntries(DEFS.map((d) => [d.metric, d])) as Record<ObservationMetric, MetricDef>;
export const METRIC_NAMES = DEFS.map((d) => d.metric);

/** LOINC code → metric (panel codes only; component codes are looked up inside panels). */
const BY_LOINC = new Map<string, ObservationMetric>(DEFS.flatMap((d) => d.loinc.map((c) => [c, d.metric] as const)));
/** LOINC codes of panel components, which are not observations on their own here. */
const COMPONENT_CODES = new Map<string, { metric: ObservationMetric; component: ComponentDef }>(
  DEFS.flatMap((d) => d.components.flatMap((c) => c.loinc.map((code) => [code, { metric: d.metric, component: c }] as const))),
);

export type CodeLookup =
  | { kind: 'metric'; metric: ObservationMetric }
  | { kind: 'component'; metric: ObservationMetric; component: ComponentDef }
  | { kind: 'unknown_code' }
  | { kind: 'unknown_system' };

/** What a FHIR coding names. */
export function lookupCoding(system: unknown, code: unknown): CodeLookup {
  if (system === LOINC) {
    if (typeof code !== 'string') return { kind: 'unknown_code' };
    const metric = BY_LOINC.get(code);
    if (metric) return { kind: 'metric', metric };
    const component = COMPONENT_CODES.get(code);
    return component ? { kind: 'component', ...component } : { kind: 'unknown_code' };
  }
  if (system === HAVEN_METRICS) {
    return typeof code === 'string' && code in METRICS ? { kind: 'metric', metric: code as ObservationMetric } : { kind: 'unknown_code' };
  }
  return { kind: 'unknown_system' };
}

/** Unit spellings people and devices use that are not UCUM codes, mapped to the UCUM code. */
const UNIT_ALIASES: Record<string, string> = {
  bpm: '/min',
  'beats/min': '/min',
  'beats/minute': '/min',
  'breaths/min': '/min',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  oz: '[oz_av]',
  mmhg: 'mm[Hg]',
  'mm hg': 'mm[Hg]',
  '°c': 'Cel',
  degc: 'Cel',
  '°f': '[degF]',
  degf: '[degF]',
  steps: '{steps}',
  score: '{score}',
  percent: '%',
  hr: 'h',
  hours: 'h',
  minutes: 'min',
  msec: 'ms',
};

export type UnitResult = { ok: true; unit: string; convert: (v: number) => number } | { ok: false; message: string };

/**
 * Resolves a unit for a metric: an accepted UCUM code (exactly, else ignoring case: UCUM's case distinctions do not
 * collide among the codes accepted per metric), or a common spelling of one ("mmHg", "lbs", "bpm").
 */
export function resolveUnit(def: MetricDef, raw: string): UnitResult {
  const text = raw.trim();
  const accepted = Object.keys(def.units);
  const lower = text.toLowerCase();
  const code = accepted.find((u) => u === text) ?? accepted.find((u) => u.toLowerCase() === lower) ?? (UNIT_ALIASES[lower] && accepted.includes(UNIT_ALIASES[lower]) ? UNIT_ALIASES[lower] : undefined);
  if (!code) {
    return { ok: false, message: `unit '${text.slice(0, 40)}' cannot be converted to ${def.unit} for ${def.metric}; use one of ${accepted.join(', ')} (UCUM codes)` };
  }
  return { ok: true, unit: code, convert: def.units[code]! };
}

/** Rounds a converted value to a precision that keeps what was measured (conversions add float noise). */
export const roundValue = (v: number): number => Number(v.toPrecision(12));

/** Checks a value (metric unit) against the plausible range; returns the problem or undefined. */
export function implausible(def: MetricDef, component: ComponentDef, value: number): string | undefined {
  const [lo, hi] = component.plausible;
  if (value >= lo && value <= hi) return undefined;
  return `${component.label} ${formatNumber(value, def.decimals)} ${def.unit} is outside the plausible range ${lo}–${hi} ${def.unit} (a wrong unit?)`;
}

export const formatNumber = (v: number, decimals: number): string =>
  v.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });

/** A value with its unit as people write it: "72 bpm", "64%", "81.2 kg", "6 h 50 min", "42". */
export function formatValue(def: MetricDef, v: number): string {
  if (def.metric === 'sleep_duration') {
    const total = Math.round(v);
    const h = Math.floor(total / 60);
    const m = total % 60;
    return h > 0 ? `${h} h ${m} min` : `${m} min`;
  }
  const n = formatNumber(v, def.decimals);
  if (!def.displayUnit) return n;
  return def.displayUnit === '%' ? `${n}%` : `${n} ${def.displayUnit}`;
}
