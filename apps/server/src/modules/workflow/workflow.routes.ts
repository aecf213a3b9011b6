import type { HandlerMap } from '../../platform/http/endpoint.js';
import type { AnalyticsService } from './analytics.service.js';
import type { SafetyService } from '../safety/safety.service.js';
import type { InboxService } from './inbox.service.js';
import type { RoutingService } from './routing.service.js';
import type { WorkflowService } from './workflow.service.js';

type WorkflowOps =
  | 'inbox.list' | 'inbox.counts' | 'threads.assign' | 'threads.claim' | 'threads.close' | 'threads.reopen' | 'threads.priority' | 'threads.escalate'
  | 'queues.create' | 'queues.list' | 'queues.update' | 'routing.rules.get' | 'routing.rules.replace' | 'sla.targets.get' | 'sla.targets.replace'
  | 'workflow.settings.get' | 'workflow.settings.update' | 'workflow.directMessages.get' | 'workflow.directMessages' | 'messaging.expectations' | 'analytics.report' | 'analytics.export';

export function workflowHandlers(s: { workflow: WorkflowService; inbox: InboxService; routing: RoutingService; safety: SafetyService; analytics: AnalyticsService }): Pick<HandlerMap, WorkflowOps> {
  return {
    'inbox.list': async ({ query }, ctx) => s.inbox.list(ctx, query),
    'inbox.counts': async (_req, ctx) => s.inbox.counts(ctx),
    'threads.assign': async ({ params, body }, ctx) => s.workflow.assign(ctx, params.threadId, body),
    'threads.claim': async ({ params, body }, ctx) => s.workflow.claim(ctx, params.threadId, body),
    'threads.close': async ({ params, body }, ctx) => s.workflow.close(ctx, params.threadId, body),
    'threads.reopen': async ({ params }, ctx) => s.workflow.reopen(ctx, params.threadId),
    'threads.priority': async ({ params, body }, ctx) => s.workflow.setPriority(ctx, params.threadId, body),
    'threads.escalate': async ({ params, body }, ctx) => s.workflow.escalate(ctx, params.threadId, body),
    'queues.create': async ({ body }, ctx) => s.routing.createQueue(ctx, body),
    'queues.list': async (_req, ctx) => s.routing.listQueues(ctx),
    'queues.update': async ({ params, body }, ctx) => s.routing.updateQueue(ctx, params.id, body),
    'routing.rules.get': async (_req, ctx) => s.routing.rules(ctx),
    'routing.rules.replace': async ({ body }, ctx) => s.routing.replaceRules(ctx, body),
    'sla.targets.get': async (_req, ctx) => s.routing.slaTargets(ctx),
    'sla.targets.replace': async ({ body }, ctx) => s.routing.replaceSlaTargets(ctx, body),
    'workflow.settings.get': async (_req, ctx) => s.safety.getSettings(ctx),
    'workflow.settings.update': async ({ body }, ctx) => s.safety.updateSettings(ctx, body),
    'workflow.directMessages.get': async (_req, ctx) => s.routing.directMessages(ctx),
    'workflow.directMessages': async ({ body }, ctx) => s.routing.setDirectMessages(ctx, body.acceptsDirectMessages),
    'messaging.expectations': async ({ query }, ctx) => s.safety.expectations(ctx, query ?? {}),
    'analytics.report': async ({ query }, ctx) => s.analytics.report(ctx, query),
    'analytics.export': async ({ query, reply }, ctx) => {
      const csv = await s.analytics.exportCsv(ctx, query);
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', 'attachment; filename="haven-analytics.csv"');
      return csv;
    },
  };
}
