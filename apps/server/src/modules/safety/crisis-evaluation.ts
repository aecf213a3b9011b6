/**
 * Precision and recall of the crisis detector on a labelled set of messages (crisis-testset.*.json). Used by
 * crisis-detector.test.ts (which asserts the targets) and bench/crisis-eval.ts (which records the numbers).
 *
 * Two views:
 *  - overall, per message: a message labelled with any category counts as found when the detector flags it at all
 *    (whatever the category: the patient gets the crisis guidance either way);
 *  - per category: a message counts for a category when it is labelled with it (recall) or flagged with it
 *    (precision); a suicidal message also flagged as an overdose is a false positive for overdose.
 */
import { CRISIS_CATEGORIES, type CrisisCategory, type CrisisMatch } from '@haven/api';
import { detectCrisis } from './crisis-detector.js';
import type { CompiledLexicon } from './crisis-lexicon.js';

export const MESSAGE_KINDS = ['positive', 'misspelling', 'negation', 'negative', 'benign_idiom'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export interface LabelledMessage {
  text: string;
  label: CrisisCategory | null;
  kind: MessageKind;
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  /** tp / (tp + fp); NaN when nothing was flagged. */
  precision: number;
  /** tp / (tp + fn); NaN when nothing is labelled. */
  recall: number;
}

export interface Evaluation {
  messages: number;
  overall: Score;
  categories: Record<CrisisCategory, Score>;
  /** Messages of each kind, and how many of them the detector got right (flagged when labelled, else not). */
  kinds: Record<MessageKind, { messages: number; right: number }>;
  /** The messages it got wrong, with what it said. */
  errors: { message: LabelledMessage; detected: CrisisMatch | null }[];
}

const score = (tp: number, fp: number, fn: number): Score => ({ tp, fp, fn, precision: tp / (tp + fp), recall: tp / (tp + fn) });

/** Checks a set against its schema: every message a text, a known label or null, a known kind. */
export function checkSet(set: unknown): LabelledMessage[] {
  if (!Array.isArray(set)) throw new Error('a labelled set is an array of messages');
  return set.map((m: unknown, i) => {
    const r = m as Partial<LabelledMessage>;
    const ok =
      typeof r.text === 'string' &&
      r.text.length > 0 &&
      (r.label === null || (CRISIS_CATEGORIES as readonly string[]).includes(r.label as string)) &&
      (MESSAGE_KINDS as readonly string[]).includes(r.kind as string) &&
      (r.label === null) === (r.kind === 'negation' || r.kind === 'negative' || r.kind === 'benign_idiom');
    if (!ok) throw new Error(`message ${i} is not {text, label: category|null, kind} (or its label does not fit its kind): ${JSON.stringify(m)}`);
    return r as LabelledMessage;
  });
}

export function evaluate(set: readonly LabelledMessage[], lexicon: CompiledLexicon): Evaluation {
  const counts = Object.fromEntries(CRISIS_CATEGORIES.map((c) => [c, { tp: 0, fp: 0, fn: 0 }])) as Record<CrisisCategory, { tp: number; fp: number; fn: number }>;
  const kinds = Object.fromEntries(MESSAGE_KINDS.map((k) => [k, { messages: 0, right: 0 }])) as Evaluation['kinds'];
  const overall = { tp: 0, fp: 0, fn: 0 };
  const errors: Evaluation['errors'] = [];
  for (const message of set) {
    const detected = detectCrisis(message.text, lexicon);
    const flagged = new Set(detected?.categories ?? []);
    for (const c of CRISIS_CATEGORIES) {
      if (message.label === c && flagged.has(c)) counts[c].tp++;
      else if (message.label === c) counts[c].fn++;
      else if (flagged.has(c)) counts[c].fp++;
    }
    const right = (message.label !== null) === (detected !== null);
    if (message.label !== null && detected) overall.tp++;
    else if (message.label !== null) overall.fn++;
    else if (detected) overall.fp++;
    kinds[message.kind].messages++;
    if (right) kinds[message.kind].right++;
    if (!right || (message.label !== null && !flagged.has(message.label)) || flagged.size > 1) errors.push({ message, detected });
  }
  return {
    messages: set.length,
    overall: score(overall.tp, overall.fp, overall.fn),
    categories: Object.fromEntries(CRISIS_CATEGORIES.map((c) => [c, score(counts[c].tp, counts[c].fp, counts[c].fn)])) as Record<CrisisCategory, Score>,
    kinds,
    errors,
  };
}
