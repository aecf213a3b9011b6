import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { TemplateService } from './template.service.js';

type TemplateOps = 'templates.variables' | 'templates.list' | 'templates.create' | 'templates.get' | 'templates.update' | 'templates.render';

export function templateHandlers(templates: TemplateService): Pick<HandlerMap, TemplateOps> {
  return {
    'templates.variables': async (_in, ctx) => templates.variables(ctx),
    'templates.list': async ({ query }, ctx) => templates.list(ctx, query ?? {}),
    'templates.create': async ({ body }, ctx) => templates.create(ctx, body),
    'templates.get': async ({ params }, ctx) => templates.get(ctx, params.templateId),
    'templates.update': async ({ params, body }, ctx) => templates.update(ctx, params.templateId, body),
    'templates.render': async ({ params, body }, ctx) => templates.render(ctx, params.templateId, body),
  };
}
