import type { Language } from '@haven/api';

/**
 * Haven's messaging policy text, one per language (same content; a translation never changes the version).
 * Change any wording: raise TEXT_VERSION, and every patient is asked to accept the new text (decision 0027).
 * {time} is the practice's routine response time; {emergency} its emergency number.
 */
export const TEXT_VERSION = '1';

export interface PolicyTexts {
  purpose: string;
  response: string;
  emergency: string;
  record: string;
  duration(minutes: number): string;
}

export const POLICY_TEXTS: Record<Language, PolicyTexts> = {
  en: {
    purpose: 'Use messages for questions that can wait: prescription refills, test results, appointments, and how you are doing after a visit.',
    response: 'Your care team reads messages during opening hours and answers within {time}. A message sent while the practice is closed is read after it opens.',
    emergency: 'Messages are not for emergencies: nobody may read yours right away. In an emergency, call {emergency} or go to the nearest emergency room.',
    record: 'Your messages become part of your health record. Notifications never say what a message says.',
    duration: (m) =>
      m % 60 === 0 ? (m === 60 ? '1 working hour' : `${m / 60} working hours`) : m === 1 ? '1 working minute' : `${m} working minutes`,
  },
  es: {
    purpose: 'Use los mensajes para preguntas que pueden esperar: recetas, resultados de pruebas, citas y cómo se siente después de una visita.',
    response: 'Su equipo de atención lee los mensajes en el horario de atención y responde en un plazo de {time}. Un mensaje enviado cuando el consultorio está cerrado se lee cuando abre.',
    emergency: 'Los mensajes no son para emergencias: es posible que nadie lea el suyo enseguida. En una emergencia, llame al {emergency} o vaya a la sala de emergencias más cercana.',
    record: 'Sus mensajes forman parte de su historia clínica. Las notificaciones nunca dicen lo que dice un mensaje.',
    duration: (m) =>
      m % 60 === 0 ? (m === 60 ? '1 hora laborable' : `${m / 60} horas laborables`) : m === 1 ? '1 minuto laborable' : `${m} minutos laborables`,
  },
};
