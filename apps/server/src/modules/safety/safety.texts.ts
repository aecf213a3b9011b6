import { isDeepStrictEqual } from 'node:util';
import type { Language, WorkflowSettings } from '@haven/api';

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

/** The texts a language needs besides the practice's numbers: each language Haven speaks besides English has them. */
type Translated = Pick<WorkflowSettings, 'offHoursReply' | 'crisisReply' | 'crisisResources' | 'urgentGuidance'> & {
  /** {nextOpening} when the practice has no opening in sight. */
  noOpening: string;
};

/**
 * What a patient reading another language gets instead of the default English texts. A practice's own texts are
 * written in one language (the settings hold one of each): such a patient gets these, with the practice's emergency
 * number, and its crisis resources when it changed them (else the translated names of the default ones).
 */
const TRANSLATED: Record<Exclude<Language, 'en'>, Translated> = {
  es: {
    offHoursReply:
      'Gracias por su mensaje. Nuestra oficina está cerrada en este momento. Le responderemos cuando abramos ({nextOpening}). Si es una emergencia, llame al {emergency} o vaya a la sala de emergencias más cercana.',
    crisisReply:
      'Leímos su mensaje y queremos que esté a salvo ahora mismo. Por favor, busque ayuda ahora: {resources}. Si está en peligro o tiene una emergencia médica, llame al {emergency}. Ya avisamos a nuestro equipo de guardia, que se comunicará con usted.',
    crisisResources: [
      { name: '988 Línea de Prevención del Suicidio y Crisis', contact: 'llame o envíe un mensaje de texto al 988 y elija español' },
      { name: 'Crisis Text Line', contact: 'envíe AYUDA al 741741' },
    ],
    urgentGuidance:
      'Los mensajes son para preguntas que pueden esperar. Si es una emergencia, llame al {emergency}. Si está pensando en hacerse daño, llame o envíe un mensaje de texto al 988 ahora.',
    noOpening: 'lo antes posible',
  },
};

/** The practice's settings as a patient reading `language` gets them (texts in their language; see TRANSLATED). */
export function settingsIn(language: Language, s: WorkflowSettings): WorkflowSettings {
  if (language === 'en') return s;
  const t = TRANSLATED[language];
  const resources = isDeepStrictEqual(s.crisisResources, DEFAULT_WORKFLOW_SETTINGS.crisisResources) ? t.crisisResources : s.crisisResources;
  return { ...s, offHoursReply: t.offHoursReply, crisisReply: t.crisisReply, urgentGuidance: t.urgentGuidance, crisisResources: resources };
}

/** {nextOpening} of the off-hours reply when the practice has no opening in sight. */
export const noOpeningText = (language: Language): string => (language === 'en' ? 'as soon as we can' : TRANSLATED[language].noOpening);
