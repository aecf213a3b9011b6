import { firstName, fillFrom, isTemplateVariable, namesNotIn, worstCaseLength as worstCase, type VariableName } from '../templates/template-variables.js';

/**
 * Variables in broadcast texts: the templates' catalogue (template-variables.ts), limited to what a broadcast knows
 * for every recipient. A broadcast starts a new thread per patient, sent by its author; it has no assignee or
 * responsible provider yet, so `{provider.name}` is not available, and `{staff.name}` and `{today}` are left to
 * templates, which render them when a person sends.
 */
export const BROADCAST_VARIABLES = ['patient.firstName', 'patient.name', 'practice.name', 'practice.phone'] as const satisfies readonly VariableName[];
export type BroadcastVariable = (typeof BROADCAST_VARIABLES)[number];
export type VariableValues = Record<BroadcastVariable, string | null>;

const ALLOWED: ReadonlySet<string> = new Set(BROADCAST_VARIABLES);

/** Variable names a text uses that a broadcast cannot fill, each with why ("unknown" or "not available in broadcasts"). */
export function variableProblems(text: string): { name: string; message: string }[] {
  return namesNotIn(text, ALLOWED).map((name) => ({ name, message: isTemplateVariable(name) ? `{${name}} is not available in broadcasts` : `unknown variable {${name}}` }));
}

/** Whether a text uses a variable. */
export const uses = (text: string, name: BroadcastVariable): boolean => text.includes(`{${name}}`);

/** The text with every broadcast variable replaced by its value (problems are refused before rendering). */
export const render = (text: string, values: VariableValues): string => fillFrom(text, values);

/** The longest a rendered text can get when each value is at most `maxValue` characters. */
export const worstCaseLength = worstCase;

export const variableValues = (patientName: string, practice: { name: string; phone: string | null }): VariableValues => ({
  'patient.firstName': firstName(patientName),
  'patient.name': patientName.trim(),
  'practice.name': practice.name,
  'practice.phone': practice.phone,
});
