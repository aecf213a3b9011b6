import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { isLoopback, type Config } from './config.js';
import type { Db } from './platform/db/database.js';
import type { KeyProvider } from './platform/crypto/key-provider.js';
import { Keyring } from './platform/crypto/keyring.js';
import { cookiePolicy } from './platform/http/cookies.js';
import { registerEndpoints, type HandlerMap } from './platform/http/endpoint.js';
import { tightenDateTime } from './platform/http/formats.js';
import { errorHandler } from './platform/http/problem.js';
import { registerWebApp } from './platform/http/web-app.js';
import { safeUrl } from './platform/log/logger.js';
import { AuditStore } from './modules/audit/audit.store.js';
import { AuditSigner } from './modules/audit/audit.signing.js';
import { AuditService } from './modules/audit/audit.service.js';
import { auditHandlers } from './modules/audit/audit.routes.js';
import { AuthStore } from './modules/auth/auth.store.js';
import { AuthService } from './modules/auth/auth.service.js';
import { SessionService } from './modules/auth/session.service.js';
import { authHandlers, authHook } from './modules/auth/auth.routes.js';
import { OrganizationStore } from './modules/organization/organization.store.js';
import { OrganizationService } from './modules/organization/organization.service.js';
import { organizationHandlers } from './modules/organization/organization.routes.js';
import { UserStore } from './modules/users/user.store.js';
import { UserService } from './modules/users/user.service.js';
import { userHandlers } from './modules/users/user.routes.js';
import { PatientStore } from './modules/patients/patient.store.js';
import { PatientService } from './modules/patients/patient.service.js';
import { patientHandlers } from './modules/patients/patient.routes.js';
import { ThreadStore } from './modules/threads/thread.store.js';
import { ThreadService } from './modules/threads/thread.service.js';
import { threadHandlers } from './modules/threads/thread.routes.js';
import { MessageStore } from './modules/messages/message.store.js';
import { MessageService } from './modules/messages/message.service.js';
import { messageHandlers } from './modules/messages/message.routes.js';
import { MentionStore } from './modules/messages/mention.store.js';
import { MentionService } from './modules/messages/mention.service.js';
import { mentionHandlers } from './modules/messages/mention.routes.js';
import { SearchStore } from './modules/search/search.store.js';
import { SearchService } from './modules/search/search.service.js';
import { searchHandlers } from './modules/search/search.routes.js';
import { AttachmentStore } from './modules/attachments/attachment.store.js';
import { AttachmentService } from './modules/attachments/attachment.service.js';
import { attachmentHandlers } from './modules/attachments/attachment.routes.js';
import { EventStore } from './modules/events/event.store.js';
import { EventOutbox } from './modules/events/event.outbox.js';
import { EventService } from './modules/events/event.service.js';
import { EventRelay } from './modules/events/event.relay.js';
import { EventHub } from './modules/events/event.hub.js';
import { eventHandlers, registerEventSocket } from './modules/events/event.routes.js';
import { createBus } from './platform/bus/create-bus.js';
import websocket from '@fastify/websocket';
import { ObservationStore } from './modules/observations/observation.store.js';
import { ObservationService } from './modules/observations/observation.service.js';
import { observationHandlers } from './modules/observations/observation.routes.js';
import { ResourceStore } from './modules/resources/resource.store.js';
import { ResourceService } from './modules/resources/resource.service.js';
import { resourceHandlers } from './modules/resources/resource.routes.js';
import { SecureFiles } from './platform/files/secure-files.js';
import { NotificationStore } from './modules/notifications/notification.store.js';
import { NotificationService } from './modules/notifications/notification.service.js';
import { NotificationDispatcher, type Channels } from './modules/notifications/notification.dispatch.js';
import { NotificationContacts } from './modules/notifications/notification.contacts.js';
import { notificationHandlers } from './modules/notifications/notification.routes.js';
import { JobQueue } from './platform/jobs/job-queue.js';
import { SmtpEmailSender } from './platform/notify/email-sender.js';
import { TwilioStyleSmsSender } from './platform/notify/sms-sender.js';
import { WebPushSender } from './platform/notify/web-push-sender.js';
import type pg from 'pg';
import { createObjectStorage } from './platform/storage/create-storage.js';
import { createMalwareScanner } from './platform/scan/malware-scanner.js';
import { systemClock, type Clock } from './platform/time/clock.js';
import type { AvailabilityPort } from './modules/workflow/availability.port.js';
import { WorkflowStore } from './modules/workflow/workflow.store.js';
import { RoutingStore } from './modules/workflow/routing.store.js';
import { InboxStore } from './modules/workflow/inbox.store.js';
import { SlaPolicy } from './modules/workflow/sla.policy.js';
import { RoutingService } from './modules/workflow/routing.service.js';
import { WorkflowService } from './modules/workflow/workflow.service.js';
import { InboxService } from './modules/workflow/inbox.service.js';
import { AnalyticsStore } from './modules/workflow/analytics.store.js';
import { AnalyticsService } from './modules/workflow/analytics.service.js';
import { workflowHandlers } from './modules/workflow/workflow.routes.js';
import { SafetyStore } from './modules/safety/safety.store.js';
import { SafetyService } from './modules/safety/safety.service.js';
import { LexiconOverridesStore } from './modules/safety/lexicon-overrides.store.js';
import { LexiconOverridesService } from './modules/safety/lexicon-overrides.service.js';
import { lexiconOverridesHandlers } from './modules/safety/lexicon-overrides.routes.js';
// availability (begin)
import { AvailabilityStore } from './modules/availability/availability.store.js';
import { AvailabilityService } from './modules/availability/availability.service.js';
import { availabilityHandlers } from './modules/availability/availability.routes.js';
// availability (end)
// 0011: scheduled send, follow-ups, chart notes
import { ScheduledMessageStore } from './modules/scheduling/scheduled-message.store.js';
import { ScheduledMessageService } from './modules/scheduling/scheduled-message.service.js';
import { FollowUpStore } from './modules/scheduling/follow-up.store.js';
import { FollowUpService } from './modules/scheduling/follow-up.service.js';
import { schedulingHandlers } from './modules/scheduling/scheduling.routes.js';
import { ChartNoteStore } from './modules/chart-notes/chart-note.store.js';
import { ChartNoteService } from './modules/chart-notes/chart-note.service.js';
import { chartNoteHandlers } from './modules/chart-notes/chart-note.routes.js';
// cohorts: tags, soft launch, archive, broadcasts (docs/decisions/0017)
import { TagStore } from './modules/cohorts/tag.store.js';
import { TagService } from './modules/cohorts/tag.service.js';
import { cohortHandlers } from './modules/cohorts/cohort.routes.js';
import { RolloutStore } from './modules/rollout/rollout.store.js';
import { RolloutService } from './modules/rollout/rollout.service.js';
import { MessagingAccess } from './modules/rollout/messaging-access.js';
import { rolloutHandlers } from './modules/rollout/rollout.routes.js';
import { MessagingPolicyStore } from './modules/messaging-policy/messaging-policy.store.js';
import { MessagingPolicyService } from './modules/messaging-policy/messaging-policy.service.js';
import { messagingPolicyHandlers } from './modules/messaging-policy/messaging-policy.routes.js';
import { PatientArchiveStore } from './modules/patients/patient-archive.store.js';
import { PatientArchiveService } from './modules/patients/patient-archive.service.js';
import { patientArchiveHandlers } from './modules/patients/patient-archive.routes.js';
import { BroadcastStore } from './modules/broadcasts/broadcast.store.js';
import { BroadcastSender } from './modules/broadcasts/broadcast.sender.js';
import { BroadcastService } from './modules/broadcasts/broadcast.service.js';
import { broadcastHandlers } from './modules/broadcasts/broadcast.routes.js';
// templates, quick replies and reactions (templates branch)
import { TemplateStore } from './modules/templates/template.store.js';
import { TemplateService } from './modules/templates/template.service.js';
import { templateHandlers } from './modules/templates/template.routes.js';
import { ReactionStore } from './modules/reactions/reaction.store.js';
import { ReactionService } from './modules/reactions/reaction.service.js';
import { reactionHandlers } from './modules/reactions/reaction.routes.js';

export interface Services {
  keyring: Keyring;
  audit: AuditService;
  auth: AuthService;
  orgs: OrganizationService;
  users: UserService;
  patients: PatientService;
  threads: ThreadService;
  messages: MessageService;
  mentions: MentionService;
  search: SearchService;
  attachments: AttachmentService;
  outbox: EventOutbox;
  events: EventService;
  eventStore: EventStore;
  observations: ObservationService;
  resources: ResourceService;
  jobs: JobQueue;
  notifications: NotificationService;
  workflow: WorkflowService;
  inbox: InboxService;
  routing: RoutingService;
  safety: SafetyService;
  /** The organizations' crisis lexicons (overrides of the base lexicon) and the detector of the send path. */
  lexicon: LexiconOverridesService;
  analytics: AnalyticsService;
  /** The workflow clock (the system clock; tests pass a controllable one). */
  clock: Clock;
  /** Business hours, holidays, staff availability and coverage, on call (availability). */
  availability: AvailabilityService;
  templates: TemplateService;
  reactions: ReactionService;
  /** Outside channels (SMTP pool and such), closed when the app stops. */
  channels: Channels;
  // 0011
  scheduledMessages: ScheduledMessageService;
  followUps: FollowUpService;
  chartNotes: ChartNoteService;
  // cohorts
  tags: TagService;
  rollout: RolloutService;
  messagingAccess: MessagingAccess;
  messagingPolicy: MessagingPolicyService;
  patientArchive: PatientArchiveService;
  broadcasts: BroadcastService;
  broadcastSender: BroadcastSender;
}

/** The notification channels the configuration enables (push always; e-mail and SMS when configured). */
export function buildChannels(config: Config): Channels {
  return {
    push: new WebPushSender({ subject: config.vapidSubject, timeoutMs: config.notifyTimeoutMs, caFile: config.pushCaFile }),
    email:
      config.smtpHost && config.smtpFrom
        ? new SmtpEmailSender({ host: config.smtpHost, port: config.smtpPort, tls: config.smtpTls, user: config.smtpUser, password: config.smtpPassword, from: config.smtpFrom, caFile: config.smtpCaFile, timeoutMs: config.notifyTimeoutMs })
        : null,
    sms:
      config.smsAccountSid && config.smsAuthToken && config.smsFrom
        ? new TwilioStyleSmsSender({ baseUrl: config.smsBaseUrl, accountSid: config.smsAccountSid, authToken: config.smsAuthToken, from: config.smsFrom, timeoutMs: config.notifyTimeoutMs })
        : null,
  };
}

/** Wires stores and services; used by the HTTP app and by the CLI. */
export function buildServices(db: Db, keyProvider: KeyProvider, config: Config, clock: Clock = systemClock): Services {
  const keyring = new Keyring(db, keyProvider);
  const auditStore = new AuditStore(db);
  const audit = new AuditService(auditStore, new AuditSigner(auditStore, keyProvider));
  const authStore = new AuthStore(db);
  const sessions = new SessionService(authStore);
  const eventStore = new EventStore(db);
  const outbox = new EventOutbox(eventStore);
  const orgs = new OrganizationService(db, new OrganizationStore(db), keyring, audit, outbox);
  const users = new UserService(db, new UserStore(db), keyring, orgs, sessions, audit, config.requireMfaForStaff);
  const auth = new AuthService(db, authStore, users, orgs, keyring, audit, config);
  const patients = new PatientService(db, new PatientStore(db), users, orgs, keyring, audit);
  const threads = new ThreadService(db, new ThreadStore(db), patients, users, orgs, keyring, audit, outbox, clock);
  // Messages show their attachments and attachments follow their messages: each module sees the other through a
  // narrow interface. The message service gets the attachment lookup as a function bound below, so neither
  // constructor needs the other's instance first.
  const mentions = new MentionService(db, new MentionStore(db), threads, orgs, audit, outbox);
  const messages = new MessageService(
    db,
    new MessageStore(db, audit, outbox),
    threads,
    orgs,
    keyring,
    audit,
    outbox,
    {
      forMessages: (ctx, thread, heads) => attachments.forMessages(ctx, thread, heads),
      forDelivery: (heads) => attachments.forDelivery(heads),
    },
    // Messages show their reactions the same way (bound below: the reaction service needs the message service).
    { forMessages: (orgId, ids) => reactions.forMessages(orgId, ids) },
    mentions,
  );
  const reactions = new ReactionService(db, new ReactionStore(db), threads, messages, audit, outbox);
  const templates = new TemplateService(db, new TemplateStore(db), threads, users, orgs, audit);
  const events = new EventService(eventStore, auth, threads, messages);
  const search = new SearchService(db, new SearchStore(db), threads, patients, orgs, keyring, audit);
  // One pipeline for every stored file (attachments, library files): checks, cleaning, encryption, storage.
  const files = new SecureFiles(createObjectStorage(config), {
    maxBytes: config.attachmentMaxBytes,
    imageMaxBytes: Math.min(config.attachmentImageMaxBytes, config.attachmentMaxBytes),
    allowedTypes: config.attachmentTypes,
  });
  const attachments = new AttachmentService(db, new AttachmentStore(db), threads, messages, keyring, audit, files, createMalwareScanner(config), {
    orphanAfterMs: Math.round(config.attachmentOrphanHours * 3_600_000),
  });
  const resources = new ResourceService(db, new ResourceStore(db), threads, messages, attachments, keyring, audit, files);
  const observations = new ObservationService(db, new ObservationStore(db), patients, users, threads, messages, attachments, keyring, audit);
  const jobs = new JobQueue();
  const channels = buildChannels(config);
  const notificationStore = new NotificationStore(db);
  const contacts = new NotificationContacts(keyring);
  let notifications: NotificationService | undefined;
  const dispatcher = new NotificationDispatcher(db, notificationStore, jobs, users, messages, orgs, audit, contacts, keyProvider, channels, {
    defaultBatchWindowS: Math.round(config.notifyBatchWindowMinutes * 60),
    appUrl: config.notifyAppUrl,
    maxAttempts: config.notifyMaxAttempts,
    retry: { baseMs: config.notifyRetryBaseMs, maxMs: Math.max(config.notifyRetryBaseMs, config.notifyRetryMaxMs) },
  }, () => ({ connectedUsers: (ids) => notifications!.connectedUsers(ids) }));
  notifications = new NotificationService(db, notificationStore, dispatcher, threads, users, orgs, audit, contacts, {
    delayMs: Math.round(config.notifyDelaySeconds * 1000),
    defaultBatchWindowS: Math.round(config.notifyBatchWindowMinutes * 60),
    pushHosts: config.pushEndpointHosts.map((h) => h.toLowerCase()),
    sms: {
      configured: Boolean(channels.sms),
      webhookAuth: config.smsWebhookAuth,
      webhookSecret: config.smsWebhookSecret,
      authToken: config.smsAuthToken,
      webhookUrl: `${config.publicUrl.replace(/\/+$/, '')}/api/v1/notifications/sms/inbound`,
    },
  });
  // Who is connected (no notification for them) comes from the event sockets of every node.
  notifications.usePresence({ connectedUsers: (ids) => events.connectedUsers(ids) });

  // The care workflow: routing new threads, states and due times with every message, inbox, SLA sweep, safety.
  // Business hours, staff availability, coverage and on-call answer on the workflow clock.
  const availabilityService = new AvailabilityService(db, new AvailabilityStore(db), users, orgs, audit, outbox, { now: () => clock.now() });
  const availability: AvailabilityPort = {
    isOpen: (o, d, at) => availabilityService.isOpen(o, d, at),
    nextOpening: (o, d, at) => availabilityService.nextOpening(o, d, at),
    // A calendar that never opens (no hours at all) counts time as it passes rather than never coming due.
    addBusinessMinutes: async (o, d, start, minutes) => (await availabilityService.addBusinessMinutes(o, d, start, minutes)) ?? new Date(start.getTime() + minutes * 60_000),
    availableStaff: (o, ids, at) => availabilityService.availableStaff(o, ids, at),
    coverFor: async (o, u, at) => {
      const userId = await availabilityService.coverId(o, u, at);
      return userId ? { userId } : null;
    },
    onCallNow: (o, d, at) => availabilityService.onCallNow(o, d, at),
    timeZone: async (o) => (await availabilityService.calendarFor(o, null)).timeZone,
  };
  // Every patient message is checked against its organization's lexicon: the English base lexicon with the
  // organization's overrides (docs/decisions/0021). The Spanish one is ready (modules/safety/lexicons) but applies only
  // once a patient's language is recorded (#5): run on English text its typo tolerance and missing English negations
  // misfire ("I'm not suicidal" matched Spanish "suicidio").
  const lexicon = new LexiconOverridesService(db, new LexiconOverridesStore(db), audit);

  const routingStore = new RoutingStore(db);
  const workflowStore = new WorkflowStore(db);
  const sla = new SlaPolicy(routingStore, () => availability);
  const routing = new RoutingService(db, routingStore, workflowStore, users, orgs, sla, audit, () => availability);
  const workflow = new WorkflowService(db, workflowStore, routingStore, threads, sla, audit, outbox, clock, () => availability);
  const inbox = new InboxService(db, new InboxStore(db), threads, users, orgs, audit, clock);
  const analytics = new AnalyticsService(db, new AnalyticsStore(db), users, orgs, audit);
  const safety = new SafetyService(db, new SafetyStore(db), routingStore, messages, threads, users, orgs, keyring, audit, outbox, sla, clock, () => availability, () => lexicon);
  threads.useRouter(routing);
  // {provider.name} in templates: the thread's assignee when a provider owns it, else the care team's provider.
  templates.useResponsibleProvider(async (t, fallback) => {
    const row = await threads.byIdForSystem(t.orgId, t.threadId);
    const owner = row?.assignee_id ? await users.byId(t.orgId, row.assignee_id) : undefined;
    return owner?.role === 'provider' && owner.status === 'active' ? owner.id : fallback(t);
  });
  messages.useWorkflow(safety);
  notifications.useWorkflow(workflow);
  workflow.usePager(notifications);
  workflow.useNotes({ sendNote: (ctx, threadId, n) => messages.send(ctx, threadId, { id: n.id, body: n.body, internal: true, mentions: n.mentions }) });
  safety.usePager(notifications);
  jobs.define({
    name: SLA_SWEEP_JOB,
    maxAttempts: 3,
    backoff: { baseMs: 1000, maxMs: 10_000 },
    run: async () => {
      await safety.catchUp();
      await workflow.sweep();
    },
  });
  // 0011: scheduled send and follow-ups run as jobs; chart notes are the patient's timeline of marked messages.
  const scheduledMessages = new ScheduledMessageService(db, new ScheduledMessageStore(db), threads, messages, users, keyring, audit, outbox, jobs);
  const followUps = new FollowUpService(db, new FollowUpStore(db), threads, messages, users, orgs, notifications, audit, outbox, jobs, {
    dayMs: Math.round(config.followUpDaySeconds * 1000),
  });
  const chartNotes = new ChartNoteService(db, new ChartNoteStore(db), threads, messages, patients, orgs, keyring, audit, outbox);

  // cohorts: one messaging gate (archive, soft launch) for threads.create and messages.send; tags; broadcasts.
  const messagingAccess = new MessagingAccess(new RolloutStore(db), orgs);
  threads.useMessagingGate(messagingAccess);
  const tags = new TagService(db, new TagStore(db), patients, orgs, keyring, audit, messagingAccess);
  const rollout = new RolloutService(db, new RolloutStore(db), messagingAccess, users, orgs, keyring, audit);
  const patientArchive = new PatientArchiveService(db, new PatientArchiveStore(), patients, orgs, audit, outbox, messagingAccess);
  const broadcastStore = new BroadcastStore(db);
  const broadcastSender = new BroadcastSender(db, broadcastStore, users, orgs, threads, messages, messagingAccess, keyring, jobs, { ratePerSecond: config.broadcastRatePerSecond });
  const broadcasts = new BroadcastService(db, broadcastStore, users, orgs, messagingAccess, broadcastSender, keyring, audit);
  const messagingPolicy = new MessagingPolicyService(db, new MessagingPolicyStore(db), safety, users, orgs, audit, clock);
  return {
    messagingPolicy,
    keyring, audit, auth, orgs, users, patients, threads, messages, search, attachments, resources, observations, outbox, events, eventStore, jobs, notifications, channels,
    availability: availabilityService, workflow, inbox, routing, safety, lexicon, clock, analytics,
    scheduledMessages, followUps, chartNotes,
    tags, rollout, messagingAccess, patientArchive, broadcasts, broadcastSender,
    templates, reactions, mentions,
  };
}

/** The SLA sweep (reminders, escalations, unfinished crisis alerts): one waiting job, re-armed by each node's timer. */
export const SLA_SWEEP_JOB = 'workflow.sla-sweep';

export interface AppOptions {
  config: Config;
  db: Db;
  keyProvider: KeyProvider;
  logger: Logger;
  /** The database pool; when given, this node runs jobs (notifications) while the app is up. */
  pool?: pg.Pool;
  clock?: Clock;
}

export const secureCookies = (config: Config): boolean => Boolean(config.tlsCertFile) || !isLoopback(config.host) || config.publicUrl.startsWith('https:');

/** Builds the Haven HTTP application (not yet listening). */
export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; services: Services; relay: EventRelay; hub: EventHub }> {
  const { config, db } = opts;
  const services = buildServices(db, opts.keyProvider, config, opts.clock);
  const https = config.tlsCertFile && config.tlsKeyFile
    ? { https: { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile), minVersion: 'TLSv1.2' as const } }
    : {};
  const app = Fastify({
    ...https,
    loggerInstance: opts.logger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    bodyLimit: 1024 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    genReqId: () => crypto.randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false }, onCreate: tightenDateTime },
  }) as unknown as FastifyInstance;

  // The API speaks JSON only; anything else is 415.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  // Request log: method, route, status and time; never bodies, query strings or headers.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { reqId: request.id, method: request.method, url: safeUrl(request.url), op: (request.routeOptions.config as { operationId?: string }).operationId, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/v1')) reply.header('cache-control', 'no-store');
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'object-src': ["'none'"],
      },
    },
    hsts: { maxAge: 31536000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: config.eventSocketMaxFrameBytes } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Haven API', version: '1.0.0', description: 'Secure patient–care team messaging. Errors are application/problem+json with a stable `code`.' },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Session token from POST /auth/login with transport=bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: cookiePolicy(secureCookies(config)).session, description: 'Browser session; unsafe methods also need X-CSRF-Token' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: false });

  const cookies = cookiePolicy(secureCookies(config));
  const handlers: HandlerMap = {
    ...authHandlers(services.auth, cookies),
    ...organizationHandlers(services.orgs, services.users),
    ...userHandlers(services.users),
    ...patientHandlers(services.patients),
    ...threadHandlers(services.threads),
    ...messageHandlers(services.messages),
    ...mentionHandlers(services.mentions),
    ...searchHandlers(services.search),
    ...attachmentHandlers(services.attachments),
    ...observationHandlers(services.observations),
    ...resourceHandlers(services.resources),
    ...auditHandlers(services.audit, db),
    ...eventHandlers(services.events),
    ...notificationHandlers(services.notifications),
    ...workflowHandlers(services),
    ...lexiconOverridesHandlers(services.lexicon),
    ...availabilityHandlers(services.availability), // availability
    // 0011
    ...schedulingHandlers(services.scheduledMessages, services.followUps),
    ...chartNoteHandlers(services.chartNotes),
    ...cohortHandlers(services.tags),
    ...rolloutHandlers(services.rollout, services.messagingAccess),
    ...messagingPolicyHandlers(services.messagingPolicy),
    ...patientArchiveHandlers(services.patientArchive),
    ...broadcastHandlers(services.broadcasts),
    ...templateHandlers(services.templates),
    ...reactionHandlers(services.reactions),
  };
  registerEndpoints(app, handlers, authHook(services.auth, cookies));

  // Live events: this node's sockets, the outbox relay (one leader among the nodes) and the bus between them.
  const bus = await createBus(config.natsUrl, config.natsSubjectPrefix, opts.logger);
  const relay = new EventRelay(db, services.eventStore, services.threads, bus, services.outbox, opts.logger, {
    pollMs: 250,
    electionMs: 1000,
    retentionDays: config.eventRetentionDays,
  });
  const hub = new EventHub(bus, services.events, services.threads, services.messages, opts.logger, {
    sessionCheckMs: config.eventSessionCheckMs,
    framesPerSecond: config.eventSocketFramesPerSecond,
  });
  hub.useInboxCounts({ counts: (actor) => services.inbox.counts({ actor, address: null, requestId: crypto.randomUUID() }) });
  const allowedOrigins = new Set([new URL(config.publicUrl).origin, ...config.allowedOrigins.map((o) => new URL(o).origin)]);
  registerEventSocket(app, { hub, events: services.events, cookies, allowedOrigins });
  // Side effects of committed events leave from the relay (after commit, at least once): notifications.
  relay.onEvents(async (events) => {
    const created = events.filter((e) => e.kind === 'message.created' && e.threadId && e.messageId && e.actorId);
    if (created.length > 0) {
      await services.notifications.messagesCreated(
        created.map((e) => ({ orgId: e.orgId, threadId: e.threadId!, messageId: e.messageId!, senderId: e.actorId!, createdAt: new Date(e.at), internal: e.staffOnly })),
      );
    }
    // Mentions in internal messages notify the mentioned (content-free, like every notification).
    const mentioned = events.filter((e) => e.kind === 'mention.created' && e.threadId && e.messageId && e.actorId && e.userId);
    if (mentioned.length > 0) {
      await services.notifications.mentioned(
        mentioned.map((e) => ({ orgId: e.orgId, threadId: e.threadId!, messageId: e.messageId!, userId: e.userId!, senderId: e.actorId!, createdAt: new Date(e.at) })),
      );
    }
  });
  await hub.start();
  if (config.eventRelay) relay.start();
  app.addHook('preClose', async () => {
    await hub.stop();
    await relay.stop();
  });
  app.addHook('onClose', async () => bus.close());
  // Malware scans of quarantined uploads and the orphaned-upload sweep run in the background while the app is up.
  services.attachments.startBackgroundJobs(opts.logger);
  app.addHook('onClose', async () => services.attachments.stopBackgroundJobs());
  // Jobs run while the app is up: started here, stopped (running jobs finish) when it closes.
  services.notifications.setLogger(opts.logger);
  services.workflow.log = opts.logger;
  services.safety.log = opts.logger;
  services.lexicon.log = opts.logger;
  services.scheduledMessages.setLogger(opts.logger);
  services.broadcastSender.setLogger(opts.logger);
  if (opts.pool) {
    await services.jobs.start({ pool: opts.pool, db, logger: opts.logger, concurrency: config.jobConcurrency, pollMs: config.jobPollMs });
    // The VAPID key pair exists from the first start on (created once, shared by every node through the database).
    await services.notifications.pushPublicKey();
    // The SLA sweep runs on the job queue: each node's timer (re)arms one keyed job, so one sweep runs at a time
    // across the nodes and a restart loses nothing (the state lives on the threads).
    const arm = () =>
      services.jobs.enqueue(db, SLA_SWEEP_JOB, {}, { key: 'workflow:sla-sweep', keyMode: 'preserve_run_at' }).catch((err: Error) => opts.logger.error({ err: { message: err.message } }, 'could not schedule the SLA sweep'));
    await arm();
    const sweepTimer = setInterval(arm, config.slaSweepSeconds * 1000);
    sweepTimer.unref();
    app.addHook('preClose', async () => clearInterval(sweepTimer));
  }
  app.addHook('preClose', async () => services.safety.idle());
  app.addHook('onClose', async () => {
    await services.jobs.stop();
    services.channels.email?.close();
  });

  // The web app (patient app and staff dashboard) at `/`, when built; unknown paths otherwise get a 404 problem.
  app.setNotFoundHandler(await registerWebApp(app, { webDir: config.webDir, publicUrl: config.publicUrl, logger: opts.logger }));
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ready' };
    } catch {
      return reply.status(503).type('application/problem+json').send({ type: 'https://haven.dev/errors/not_ready', title: 'Not ready', status: 503, code: 'not_ready' });
    }
  });
  return { app, services, relay, hub };
}
