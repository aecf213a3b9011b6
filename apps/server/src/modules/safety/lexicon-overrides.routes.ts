import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { LexiconOverridesService } from './lexicon-overrides.service.js';

type LexiconOps = 'safety.lexicon.get' | 'safety.lexicon.update' | 'safety.lexicon.history' | 'safety.lexicon.check';

export function lexiconOverridesHandlers(lexicon: LexiconOverridesService): Pick<HandlerMap, LexiconOps> {
  return {
    'safety.lexicon.get': async (_in, ctx) => lexicon.get(ctx),
    'safety.lexicon.update': async ({ body }, ctx) => lexicon.update(ctx, body),
    'safety.lexicon.history': async ({ query }, ctx) => lexicon.history(ctx, query ?? {}),
    'safety.lexicon.check': async ({ body }, ctx) => lexicon.check(ctx, body),
  };
}
