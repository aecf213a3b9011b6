import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { ChartNoteService } from './chart-note.service.js';

export function chartNoteHandlers(chartNotes: ChartNoteService): Pick<HandlerMap, 'chartNotes.create' | 'chartNotes.list' | 'chartNotes.remove'> {
  return {
    'chartNotes.create': async ({ params, body, reply }, ctx) => {
      const { note, replayed } = await chartNotes.create(ctx, params.threadId, params.messageId, body);
      // A retry of a note already stored answers 200 with the stored note.
      if (replayed) reply.status(200);
      return note;
    },
    'chartNotes.list': async ({ params, query }, ctx) => chartNotes.list(ctx, params.patientId, query ?? {}),
    'chartNotes.remove': async ({ params }, ctx) => chartNotes.remove(ctx, params.patientId, params.chartNoteId),
  };
}
