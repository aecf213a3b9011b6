import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/** Care analytics, computed from the workflow of patient threads (never from message bodies). */
export const AnalyticsGroupBy = Type.Union([Type.Literal('staff'), Type.Literal('topic'), Type.Literal('department'), Type.Literal('period')]);
export const AnalyticsPeriod = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);

export const AnalyticsQuery = Type.Object(
  {
    /** Threads whose patient first wrote in [from, to). */
    from: Timestamp,
    to: Timestamp,
    groupBy: Type.Optional(AnalyticsGroupBy),
    /** With groupBy=period (default week). */
    period: Type.Optional(AnalyticsPeriod),
  },
  { additionalProperties: false },
);

export const Durations = Type.Object({ medianMinutes: Type.Union([Type.Number(), Type.Null()]), p90Minutes: Type.Union([Type.Number(), Type.Null()]) });

export const AnalyticsRow = Type.Object({
  /** Staff id (first responder; "unanswered"), topic, department id ("none") or period start (YYYY-MM-DD). */
  key: Type.String(),
  label: Type.String(),
  threads: Type.Integer(),
  answered: Type.Integer(),
  /** From the patient's first message to the first staff answer (wall-clock minutes). */
  firstResponse: Durations,
  /** From the patient's first message to closing. */
  resolution: Durations,
  /** Answers to a waiting patient, and how many came after the due time. */
  responses: Type.Integer(),
  lateResponses: Type.Integer(),
  /** Share of answers given by their due time (null: none yet). */
  slaAdherence: Type.Union([Type.Number(), Type.Null()]),
  offHoursMessages: Type.Integer(),
  crisisAlerts: Type.Integer(),
});
export type AnalyticsRow = Static<typeof AnalyticsRow>;

export const AnalyticsReport = Type.Object({
  from: Timestamp,
  to: Timestamp,
  groupBy: AnalyticsGroupBy,
  rows: Type.Array(AnalyticsRow),
});
export type AnalyticsReport = Static<typeof AnalyticsReport>;
