import type { Strings } from './en.js';
import type { internalEn } from './internal.en.js';

/** Conversaciones internas entre colegas (español, completo). */
export const internalEs: Strings<typeof internalEn> = {
  nav: 'Internas',
  title: 'Conversaciones internas',
  intro: 'Conversaciones entre colegas. Los pacientes nunca las ven.',
  listTitle: 'Sus conversaciones internas',
  empty: 'Todavía no hay conversaciones internas.',
  with: 'Con {{names}}',
  consult: 'Sobre una conversación con un paciente',
  kind: 'interna',
  newTitle: 'Empezar una conversación interna',
  about: 'Sobre la conversación "{{subject}}". Añadirla aquí no da acceso a ella a nadie.',
  subject: 'Asunto',
  people: 'Colegas',
  choosePeople: 'Elija al menos un colega.',
  firstMessage: 'Primer mensaje (opcional)',
  firstMessageHint: 'Escriba @ y un nombre para mencionar a un colega.',
  start: 'Empezar conversación',
  participants: 'Participan',
  neverPatient: 'Interna: los pacientes nunca ven esta conversación.',
  openLinked: 'Abrir la conversación con el paciente de la que trata',
};
