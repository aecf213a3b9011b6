import type { WorkflowSettings } from '@haven/api';

/** What a practice tells patients until its admin changes it (reviewed wording; plain language). */
export const DEFAULT_WORKFLOW_SETTINGS: WorkflowSettings = {
  offHoursReplyEnabled: true,
  offHoursReply:
    'Thank you for your message. Our office is closed right now. We will answer after we open ({nextOpening}). If this is an emergency, call {emergency} or go to the nearest emergency room.',
  crisisReply:
    'We read your message and we want you to be safe right now. Please reach out now: {resources}. If you are in danger or this is a medical emergency, call {emergency}. Our on-call team has been told and will contact you.',
  crisisResources: [
    { name: '988 Suicide & Crisis Lifeline', contact: 'call or text 988' },
    { name: 'Crisis Text Line', contact: 'text HOME to 741741' },
  ],
  emergencyNumber: '911',
  urgentGuidance:
    'Messages are for questions that can wait. If this is an emergency, call {emergency}. If you are thinking about hurting yourself, call or text 988 now.',
};

/** Fills {emergency}, {resources} and any extra variables of an automatic text. */
export function fill(text: string, s: WorkflowSettings, extra: Record<string, string> = {}): string {
  const vars: Record<string, string> = {
    emergency: s.emergencyNumber,
    resources: s.crisisResources.map((r) => `${r.name} (${r.contact})`).join('; '),
    ...extra,
  };
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}
