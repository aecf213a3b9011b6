import { AppError } from '../../platform/http/errors.js';

/**
 * The variables templates may use, in one place: what each means and where its value comes from. A body writes a
 * variable in braces (`Hi {patient.firstName}`); saving a body with a name not listed here is refused (422), so a
 * typo is caught when the template is written, not when a patient receives "{patient.fristName}".
 */

/** Where a rendering finds its values. Each source is asked only if a variable of the body needs it. */
export interface VariableSources {
  /** The thread's patient's full name; null for internal threads. */
  patientName(): Promise<string | null>;
  /** The thread's responsible provider's name (see TemplateService.useResponsibleProvider); null when none. */
  providerName(): Promise<string | null>;
  /** The name of the staff member rendering (and so sending) the text. */
  staffName(): Promise<string | null>;
  practice(): Promise<{ name: string; phone: string | null }>;
  /** Today's date in the request's time zone, written out. */
  today(): string;
}

interface VariableDef {
  description: string;
  example: string;
  value(s: VariableSources): Promise<string | null> | string | null;
}

/** The first word of a full name ("Maria" of "Maria da Silva"). */
export const firstName = (name: string | null): string | null => name?.trim().split(/\s+/u)[0] || null;

export const TEMPLATE_VARIABLES = {
  'patient.firstName': {
    description: "The patient's first name (the first word of the name on their record)",
    example: 'Maria',
    value: async (s) => firstName(await s.patientName()),
  },
  'patient.name': { description: "The patient's full name", example: 'Maria da Silva', value: (s) => s.patientName() },
  'provider.name': {
    description: "The thread's responsible provider: its assignee when a provider owns it, else the first active provider of the patient's care teams, by name",
    example: 'Dr. Ana Reyes',
    value: (s) => s.providerName(),
  },
  'staff.name': { description: 'The name of the person sending the message', example: 'Sam Lee', value: (s) => s.staffName() },
  'practice.name': { description: "The organization's name", example: 'Riverside Family Medicine', value: async (s) => (await s.practice()).name },
  'practice.phone': { description: "The practice's phone number (organization setting practicePhone)", example: '+1 (555) 010-0100', value: async (s) => (await s.practice()).phone },
  today: { description: "Today's date, e.g. March 31, 2025", example: 'March 31, 2025', value: (s) => s.today() },
} satisfies Record<string, VariableDef>;

export type VariableName = keyof typeof TEMPLATE_VARIABLES;
const isVariable = (name: string): name is VariableName => Object.hasOwn(TEMPLATE_VARIABLES, name);

/** The catalogue as the API lists it. */
export const variableCatalogue = (): { name: string; description: string; example: string }[] =>
  Object.entries(TEMPLATE_VARIABLES).map(([name, v]) => ({ name, description: v.description, example: v.example }));

/**
 * A variable in a body: a name of letters and digits, dot-separated, in braces. Braces around anything else ("{ }",
 * "{see below}") are ordinary text.
 */
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)\}/g;
/** Bounds the rendered length: 5,000 characters of body plus 50 values stay under a message's 20,000. */
export const MAX_PLACEHOLDERS = 50;

/** The variables a body uses, in order of first use; 422 naming any unknown one, 400 for more than 50 placeholders. */
export function checkVariables(body: string): VariableName[] {
  const names = [...body.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const unknown = [...new Set(names.filter((n) => !isVariable(n)))];
  if (unknown.length > 0) {
    const list = unknown.map((n) => `{${n}}`).join(', ');
    throw new AppError('unknown_template_variable', `Unknown variable${unknown.length > 1 ? 's' : ''} ${list}; known: ${Object.keys(TEMPLATE_VARIABLES).map((n) => `{${n}}`).join(', ')}`, {
      errors: unknown.map((n) => ({ path: '/body', message: `unknown variable {${n}}` })),
    });
  }
  if (names.length > MAX_PLACEHOLDERS) {
    throw new AppError('validation_failed', `A template may use at most ${MAX_PLACEHOLDERS} variables`, { errors: [{ path: '/body', message: `more than ${MAX_PLACEHOLDERS} variables` }] });
  }
  return [...new Set(names)] as VariableName[];
}

/**
 * The variable names a text uses that are not in `allowed` (unknown ones, and known ones another kind of text may
 * not use), in order of first use, without repeats. Braces around anything else are text.
 */
export function namesNotIn(text: string, allowed: ReadonlySet<string>): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))].filter((n) => !allowed.has(n));
}

/** Whether a name is a variable of the catalogue (for telling "unknown" from "not available here"). */
export const isTemplateVariable = (name: string): boolean => isVariable(name);

/** The text with each variable that has a (non-empty) value in `values` replaced by it; everything else as written. */
export function fillFrom(text: string, values: Partial<Record<VariableName, string | null>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => (isVariable(name) && values[name]?.trim() ? values[name]!.trim() : whole));
}

/** The longest a text can get once each variable is replaced by a value of at most `maxValue` characters. */
export function worstCaseLength(text: string, maxValue: number): number {
  return text.replace(PLACEHOLDER, (whole, name: string) => (isVariable(name) ? 'x'.repeat(maxValue) : whole)).length;
}

/** The variables a stored body uses (bodies were checked when saved; a name unknown since is simply not one). */
export const variablesOf = (body: string): VariableName[] => [...new Set([...body.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter(isVariable))];

/**
 * Fills a body in one pass: each variable with a value is replaced by it; one without keeps its placeholder and is
 * named in `missing`. Values are inserted as they are and never read again, so a name that looks like a variable
 * stays text.
 */
export async function fill(body: string, sources: VariableSources): Promise<{ text: string; missing: VariableName[] }> {
  const values = new Map<VariableName, string | null>();
  for (const name of variablesOf(body)) {
    const v = await TEMPLATE_VARIABLES[name].value(sources);
    values.set(name, v?.trim() ? v.trim() : null);
  }
  const missing = [...values].filter(([, v]) => v === null).map(([name]) => name);
  const text = body.replace(PLACEHOLDER, (whole, name: string) => (isVariable(name) ? (values.get(name) ?? whole) : whole));
  return { text, missing };
}

/** Today as templates write it ("March 31, 2025") in an IANA time zone; RangeError for an unknown zone. */
export const formatToday = (now: Date, timeZone: string): string => new Intl.DateTimeFormat('en-US', { month: 'long', day: 'numeric', year: 'numeric', timeZone }).format(now);
