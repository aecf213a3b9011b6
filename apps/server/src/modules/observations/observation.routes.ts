import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { ObservationService } from './observation.service.js';

export function observationHandlers(observations: ObservationService): Pick<HandlerMap, 'observations.import' | 'observations.create' | 'observations.list' | 'observations.chart.share'> {
  return {
    'observations.import': async ({ params, body }, ctx) => observations.importBundle(ctx, params.patientId, body),
    'observations.create': async ({ params, body, reply }, ctx) => {
      const { observation, replayed } = await observations.create(ctx, params.patientId, body);
      // A retry of an already stored observation answers 200 with it instead of 201.
      if (replayed) reply.status(200);
      return observation;
    },
    'observations.list': async ({ params, query }, ctx) => observations.list(ctx, params.patientId, query ?? {}),
    'observations.chart.share': async ({ params, body, reply }, ctx) => {
      const { message, attachment, replayed } = await observations.shareChart(ctx, params.patientId, body);
      if (replayed) reply.status(200);
      return { message, attachment };
    },
  };
}
