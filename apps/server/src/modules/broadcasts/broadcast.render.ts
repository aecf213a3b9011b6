/**
 * Variables in broadcast texts: `{patient.firstName}`, `{patient.name}`, `{practice.name}`. A small, pure renderer
 * (the templates module has its own catalogue; the two can be unified later): anything shaped like `{a.b}` is a
 * variable and must be known, every other character is kept as written.
 */
export const BROADCAST_VARIABLES = ['patient.firstName', 'patient.name', 'practice.name'] as const;
export type BroadcastVariable = (typeof BROADCAST_VARIABLES)[number];
export type VariableValues = Record<BroadcastVariable, string>;

const VARIABLE = /\{([A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9]*)\}/g;
const KNOWN: ReadonlySet<string> = new Set(BROADCAST_VARIABLES);

/** Variables a text uses, in order of first use, without repeats. */
export function variablesIn(text: string): string[] {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]!))];
}

/** Variables a text uses that the renderer does not know. */
export function unknownVariables(text: string): string[] {
  return variablesIn(text).filter((v) => !KNOWN.has(v));
}

/** The text with every known variable replaced by its value (unknown ones are refused before rendering). */
export function render(text: string, values: VariableValues): string {
  return text.replace(VARIABLE, (whole, name: string) => (KNOWN.has(name) ? values[name as BroadcastVariable] : whole));
}

/** The longest a rendered text can get when each value is at most `maxValue` characters. */
export function worstCaseLength(text: string, maxValue: number): number {
  return text.replace(VARIABLE, (whole, name: string) => (KNOWN.has(name) ? 'x'.repeat(maxValue) : whole)).length;
}

/** A patient's first name for `{patient.firstName}`: the first word of their name. */
export const firstName = (name: string): string => name.trim().split(/\s+/u)[0] ?? '';

export const variableValues = (patientName: string, practiceName: string): VariableValues => ({
  'patient.firstName': firstName(patientName),
  'patient.name': patientName.trim(),
  'practice.name': practiceName,
});
