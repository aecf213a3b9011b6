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
import { errorHandler, notFoundHandler } from './platform/http/problem.js';
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

export interface Services {
  keyring: Keyring;
  audit: AuditService;
  auth: AuthService;
  orgs: OrganizationService;
  users: UserService;
  patients: PatientService;
  threads: ThreadService;
  messages: MessageService;
  search: SearchService;
  attachments: AttachmentService;
  outbox: EventOutbox;
  events: EventService;
  eventStore: EventStore;
  observations: ObservationService;
  resources: ResourceService;
  jobs: JobQueue;
  notifications: NotificationService;
  /** Outside channels (SMTP pool and such), closed when the app stops. */
  channels: Channels;
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
export function buildServices(db: Db, keyProvider: KeyProvider, config: Config): Services {
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
  const threads = new ThreadService(db, new ThreadStore(db), patients, users, orgs, keyring, audit, outbox);
  // Messages show their attachments and attachments follow their messages: each module sees the other through a
  // narrow interface. The message service gets the attachment lookup as a function bound below, so neither
  // constructor needs the other's instance first.
  const messages = new MessageService(db, new MessageStore(db, audit, outbox), threads, orgs, keyring, audit, outbox, {
    forMessages: (ctx, thread, heads) => attachments.forMessages(ctx, thread, heads),
    forDelivery: (heads) => attachments.forDelivery(heads),
  });
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
  return { keyring, audit, auth, orgs, users, patients, threads, messages, search, attachments, resources, observations, outbox, events, eventStore, jobs, notifications, channels };
}

export interface AppOptions {
  config: Config;
  db: Db;
  keyProvider: KeyProvider;
  logger: Logger;
  /** The database pool; when given, this node runs jobs (notifications) while the app is up. */
  pool?: pg.Pool;
}

export const secureCookies = (config: Config): boolean => Boolean(config.tlsCertFile) || !isLoopback(config.host) || config.publicUrl.startsWith('https:');

/** Builds the Haven HTTP application (not yet listening). */
export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; services: Services; relay: EventRelay; hub: EventHub }> {
  const { config, db } = opts;
  const services = buildServices(db, opts.keyProvider, config);
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
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }) as unknown as FastifyInstance;

  // The API speaks JSON only; anything else is 415.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
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
    ...searchHandlers(services.search),
    ...attachmentHandlers(services.attachments),
    ...observationHandlers(services.observations),
    ...resourceHandlers(services.resources),
    ...auditHandlers(services.audit, db),
    ...eventHandlers(services.events),
    ...notificationHandlers(services.notifications),
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
  const allowedOrigins = new Set([new URL(config.publicUrl).origin, ...config.allowedOrigins.map((o) => new URL(o).origin)]);
  registerEventSocket(app, { hub, events: services.events, cookies, allowedOrigins });
  // Side effects of committed events leave from the relay (after commit, at least once): notifications.
  relay.onEvents(async (events) => {
    const created = events.filter((e) => e.kind === 'message.created' && e.threadId && e.messageId && e.actorId);
    if (created.length > 0) {
      await services.notifications.messagesCreated(created.map((e) => ({ orgId: e.orgId, threadId: e.threadId!, messageId: e.messageId!, senderId: e.actorId!, createdAt: new Date(e.at) })));
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
  if (opts.pool) {
    await services.jobs.start({ pool: opts.pool, db, logger: opts.logger, concurrency: config.jobConcurrency, pollMs: config.jobPollMs });
    // The VAPID key pair exists from the first start on (created once, shared by every node through the database).
    await services.notifications.pushPublicKey();
  }
  app.addHook('onClose', async () => {
    await services.jobs.stop();
    services.channels.email?.close();
  });

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
