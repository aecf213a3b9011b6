import type { Messages } from './en.js';

export const consentEs: Messages['consent'] = {
  title: 'Antes de enviar un mensaje',
  changedTitle: 'Nuestras normas de mensajería cambiaron',
  intro: 'Lea cómo funcionan los mensajes. Podrá escribir su mensaje cuando esté de acuerdo.',
  changedIntro: 'Léalas otra vez. Podrá escribir su mensaje cuando esté de acuerdo.',
  helpNow: 'Ayuda inmediata',
  accept: 'Entiendo y estoy de acuerdo',
  accepting: 'Guardando…',
  accepted: 'Gracias. Ya puede escribir su mensaje.',
  acceptedOn: 'Usted aceptó estas normas el {{when}}.',
  reread: 'Cómo funcionan los mensajes',
  version: 'Versión de las normas {{version}}',
  changedWhileReading: 'Las normas cambiaron mientras las leía. Lea la nueva versión.',
  failed: 'No pudimos guardar su respuesta. Inténtelo de nuevo.',
  loadFailed: 'No pudimos cargar cómo funcionan los mensajes.',
  retry: 'Intentar de nuevo',
};
