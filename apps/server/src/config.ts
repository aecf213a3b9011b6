import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { SERVER_ROOT } from './platform/server-root.js';

/** Every setting Haven reads, typed and validated. Sources: defaults < config file (HAVEN_CONFIG) < environment. */
export const ConfigSchema = Type.Object({
  env: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')]),
  host: Type.String(),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  publicUrl: Type.String(),
  dataDir: Type.String(),
  webDir: Type.String({ description: 'The built web app (index.html and assets/) served at /' }),
  databaseUrl: Type.Optional(Type.String()),
  embeddedPgPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  dbPoolSize: Type.Integer({ minimum: 1, maximum: 200 }),
  dbPreparedStatements: Type.Boolean({ description: 'Run repeated SQL as named prepared statements (off behind PgBouncer in transaction mode before 1.21)' }),
  masterKey: Type.Optional(Type.String({ description: 'base64 of 32 bytes; otherwise the key file is used' })),
  masterKeyFile: Type.String(),
  tlsCertFile: Type.Optional(Type.String()),
  tlsKeyFile: Type.Optional(Type.String()),
  trustProxy: Type.Array(Type.String(), { description: 'Addresses/CIDRs of TLS-terminating proxies whose X-Forwarded-* headers are trusted' }),
  sessionIdleMinutesStaff: Type.Number({ exclusiveMinimum: 0 }),
  sessionIdleMinutesPatient: Type.Number({ exclusiveMinimum: 0 }),
  sessionAbsoluteHours: Type.Number({ exclusiveMinimum: 0 }),
  requireMfaForStaff: Type.Boolean(),
  demoSeed: Type.Boolean(),
  loginMaxAccountFailures: Type.Integer({ minimum: 1 }),
  loginMaxAddressFailures: Type.Integer({ minimum: 1 }),
  loginAddressWindowMinutes: Type.Integer({ minimum: 1 }),
  auditCheckpointSeconds: Type.Integer({ minimum: 1 }),
  auditSealMs: Type.Integer({ minimum: 10, description: 'How often new audit events are chained' }),
  attachmentMaxBytes: Type.Integer({ minimum: 1, description: 'Largest attachment accepted, in bytes' }),
  attachmentImageMaxBytes: Type.Integer({ minimum: 1, description: 'Largest image accepted (images are decoded in memory to strip metadata)' }),
  attachmentTypes: Type.Array(Type.String({ pattern: '^[a-z0-9.+-]+/[a-z0-9.+-]+$' }), { minItems: 1, description: 'Media types accepted as attachments (checked against the bytes)' }),
  attachmentOrphanHours: Type.Number({ minimum: 0, description: 'Uploads whose message never arrived are purged after this many hours (0: never)' }),
  attachmentStorage: Type.Union([Type.Literal('local'), Type.Literal('s3')]),
  attachmentDir: Type.String({ description: 'Directory of the local attachment store' }),
  s3Endpoint: Type.Optional(Type.String()),
  s3Bucket: Type.Optional(Type.String({ minLength: 1 })),
  s3Region: Type.String(),
  s3AccessKeyId: Type.Optional(Type.String()),
  s3SecretAccessKey: Type.Optional(Type.String()),
  s3ForcePathStyle: Type.Boolean(),
  clamavHost: Type.Optional(Type.String({ minLength: 1, description: 'clamd address; when set, uploads wait in quarantine until scanned' })),
  clamavPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  clamavTimeoutMs: Type.Integer({ minimum: 100 }),
  natsUrl: Type.Optional(Type.String({ minLength: 1, description: 'NATS server(s) shared by every node, e.g. nats://127.0.0.1:4222; without it one process uses an in-process bus' })),
  eventRelay: Type.Boolean({ description: 'Run the outbox relay on this node (one leader is elected among the nodes that do)' }),
  natsSubjectPrefix: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'Subject prefix on NATS: nodes of one deployment share it; deployments sharing a NATS server must not' }),
  allowedOrigins: Type.Array(Type.String(), { description: 'Browser origins allowed to open the event socket with the session cookie (the public URL is always allowed)' }),
  eventSocketMaxFrameBytes: Type.Integer({ minimum: 1024, description: 'Largest client frame on the event socket (close 1009 above it)' }),
  eventSocketFramesPerSecond: Type.Integer({ minimum: 1, description: 'Sustained client frames per second per socket (bursts of 5 s allowed)' }),
  eventSessionCheckMs: Type.Integer({ minimum: 50, description: 'How often every open socket re-checks its session (revocation, idle, expiry)' }),
  eventRetentionDays: Type.Number({ exclusiveMinimum: 0, description: 'How long events stay replayable; older cursors must resynchronize through the API' }),
  jobConcurrency: Type.Integer({ minimum: 1, maximum: 64, description: 'Jobs each node runs at once' }),
  jobPollMs: Type.Integer({ minimum: 50, description: 'How often scheduled (future) jobs are looked for; new jobs are picked up at once' }),
  slaSweepSeconds: Type.Number({ minimum: 1, description: 'How often SLA reminders and escalations are looked for (a job on the queue)' }),
  followUpDaySeconds: Type.Number({ exclusiveMinimum: 0, description: 'Length of one day of a follow-up reminder, in seconds: 86400 except in tests (HAVEN_ENV=test only)' }),
  notifyDelaySeconds: Type.Number({ minimum: 0, description: 'Wait this long after a message before notifying a recipient who has not read it' }),
  notifyBatchWindowMinutes: Type.Number({ minimum: 0, maximum: 1440, description: 'Default batching window: at most one notification per recipient per window' }),
  notifyAppUrl: Type.String({ pattern: '^https?://', description: 'Base URL of the app that notification links open (link: <url>/inbox)' }),
  notifyMaxAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
  notifyRetryBaseMs: Type.Integer({ minimum: 10 }),
  notifyRetryMaxMs: Type.Integer({ minimum: 10 }),
  notifyTimeoutMs: Type.Integer({ minimum: 100 }),
  smtpHost: Type.Optional(Type.String({ minLength: 1 })),
  smtpPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  smtpTls: Type.Union([Type.Literal('starttls'), Type.Literal('implicit'), Type.Literal('none')], { description: 'starttls: STARTTLS required; implicit: TLS from the first byte (port 465); none: plain (loopback relays only)' }),
  smtpUser: Type.Optional(Type.String()),
  smtpPassword: Type.Optional(Type.String()),
  smtpFrom: Type.Optional(Type.String({ minLength: 3 })),
  smtpCaFile: Type.Optional(Type.String()),
  smsAccountSid: Type.Optional(Type.String({ minLength: 1 })),
  smsAuthToken: Type.Optional(Type.String({ minLength: 1 })),
  smsFrom: Type.Optional(Type.String({ minLength: 1 })),
  smsBaseUrl: Type.String({ pattern: '^https?://' }),
  smsWebhookAuth: Type.Union([Type.Literal('hmac'), Type.Literal('twilio')]),
  smsWebhookSecret: Type.Optional(Type.String({ minLength: 16 })),
  vapidSubject: Type.String({ pattern: '^(mailto:|https://)' }),
  pushCaFile: Type.Optional(Type.String()),
  pushEndpointHosts: Type.Array(Type.String({ minLength: 1 }), { description: 'Hosts (and their subdomains) that Web Push subscriptions may point to: the browsers\' push services' }),
  broadcastRatePerSecond: Type.Number({ minimum: 0.01, maximum: 1000, description: 'Messages per second one broadcast sends (each to its own new thread)' }),
  logLevel: Type.Union([
    Type.Literal('fatal'),
    Type.Literal('error'),
    Type.Literal('warn'),
    Type.Literal('info'),
    Type.Literal('debug'),
    Type.Literal('trace'),
    Type.Literal('silent'),
  ]),
});
export type Config = Static<typeof ConfigSchema>;

type Env = Record<string, string | undefined>;

const ENV_KEYS: Record<keyof Config, string> = {
  env: 'HAVEN_ENV',
  host: 'HOST',
  port: 'PORT',
  publicUrl: 'PUBLIC_URL',
  dataDir: 'DATA_DIR',
  webDir: 'WEB_DIR',
  databaseUrl: 'DATABASE_URL',
  embeddedPgPort: 'EMBEDDED_PG_PORT',
  dbPoolSize: 'DB_POOL_SIZE',
  dbPreparedStatements: 'DB_PREPARED_STATEMENTS',
  masterKey: 'HAVEN_MASTER_KEY',
  masterKeyFile: 'MASTER_KEY_FILE',
  tlsCertFile: 'TLS_CERT_FILE',
  tlsKeyFile: 'TLS_KEY_FILE',
  trustProxy: 'TRUST_PROXY',
  sessionIdleMinutesStaff: 'SESSION_IDLE_MINUTES_STAFF',
  sessionIdleMinutesPatient: 'SESSION_IDLE_MINUTES_PATIENT',
  sessionAbsoluteHours: 'SESSION_ABSOLUTE_HOURS',
  requireMfaForStaff: 'REQUIRE_MFA_FOR_STAFF',
  demoSeed: 'DEMO_SEED',
  loginMaxAccountFailures: 'LOGIN_MAX_ACCOUNT_FAILURES',
  loginMaxAddressFailures: 'LOGIN_MAX_ADDRESS_FAILURES',
  loginAddressWindowMinutes: 'LOGIN_ADDRESS_WINDOW_MINUTES',
  auditCheckpointSeconds: 'AUDIT_CHECKPOINT_SECONDS',
  auditSealMs: 'AUDIT_SEAL_MS',
  attachmentMaxBytes: 'ATTACHMENT_MAX_BYTES',
  attachmentImageMaxBytes: 'ATTACHMENT_IMAGE_MAX_BYTES',
  attachmentTypes: 'ATTACHMENT_TYPES',
  attachmentOrphanHours: 'ATTACHMENT_ORPHAN_HOURS',
  attachmentStorage: 'ATTACHMENT_STORAGE',
  attachmentDir: 'ATTACHMENT_DIR',
  s3Endpoint: 'S3_ENDPOINT',
  s3Bucket: 'S3_BUCKET',
  s3Region: 'S3_REGION',
  s3AccessKeyId: 'S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'S3_SECRET_ACCESS_KEY',
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
  clamavHost: 'CLAMAV_HOST',
  clamavPort: 'CLAMAV_PORT',
  clamavTimeoutMs: 'CLAMAV_TIMEOUT_MS',
  natsUrl: 'NATS_URL',
  eventRelay: 'EVENT_RELAY',
  natsSubjectPrefix: 'NATS_SUBJECT_PREFIX',
  allowedOrigins: 'ALLOWED_ORIGINS',
  eventSocketMaxFrameBytes: 'EVENT_SOCKET_MAX_FRAME_BYTES',
  eventSocketFramesPerSecond: 'EVENT_SOCKET_FRAMES_PER_SECOND',
  eventSessionCheckMs: 'EVENT_SESSION_CHECK_MS',
  eventRetentionDays: 'EVENT_RETENTION_DAYS',
  jobConcurrency: 'JOB_CONCURRENCY',
  jobPollMs: 'JOB_POLL_MS',
  slaSweepSeconds: 'SLA_SWEEP_SECONDS',
  followUpDaySeconds: 'FOLLOWUP_DAY_SECONDS',
  notifyDelaySeconds: 'NOTIFY_DELAY_SECONDS',
  notifyBatchWindowMinutes: 'NOTIFY_BATCH_WINDOW_MINUTES',
  notifyAppUrl: 'NOTIFY_APP_URL',
  notifyMaxAttempts: 'NOTIFY_MAX_ATTEMPTS',
  notifyRetryBaseMs: 'NOTIFY_RETRY_BASE_MS',
  notifyRetryMaxMs: 'NOTIFY_RETRY_MAX_MS',
  notifyTimeoutMs: 'NOTIFY_TIMEOUT_MS',
  smtpHost: 'SMTP_HOST',
  smtpPort: 'SMTP_PORT',
  smtpTls: 'SMTP_TLS',
  smtpUser: 'SMTP_USER',
  smtpPassword: 'SMTP_PASSWORD',
  smtpFrom: 'SMTP_FROM',
  smtpCaFile: 'SMTP_CA_FILE',
  smsAccountSid: 'SMS_ACCOUNT_SID',
  smsAuthToken: 'SMS_AUTH_TOKEN',
  smsFrom: 'SMS_FROM',
  smsBaseUrl: 'SMS_BASE_URL',
  smsWebhookAuth: 'SMS_WEBHOOK_AUTH',
  smsWebhookSecret: 'SMS_WEBHOOK_SECRET',
  vapidSubject: 'VAPID_SUBJECT',
  pushCaFile: 'PUSH_CA_FILE',
  pushEndpointHosts: 'PUSH_ENDPOINT_HOSTS',
  broadcastRatePerSecond: 'BROADCAST_RATE_PER_SECOND',
  logLevel: 'LOG_LEVEL',
};

export class ConfigError extends Error {}

/**
 * Attachment types accepted by default: photos, PDFs, video, audio notes and office documents. Plain text is accepted
 * only when every byte is valid UTF-8 without control characters (it has no signature to sniff).
 */
export const DEFAULT_ATTACHMENT_TYPES = [
  'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic',
  'application/pdf',
  'video/mp4', 'video/quicktime', 'video/webm',
  'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/wav', 'audio/webm',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'text/plain',
];

/** The push services of current browsers (Chrome/Edge via FCM, Firefox, Edge on Windows, Safari). */
export const DEFAULT_PUSH_HOSTS = ['fcm.googleapis.com', 'push.services.mozilla.com', 'notify.windows.com', 'push.apple.com'];

function defaults(env: Env): Record<string, unknown> {
  const mode = env.HAVEN_ENV ?? env.NODE_ENV ?? 'development';
  return {
    env: mode,
    host: '127.0.0.1',
    port: 8080,
    dataDir: 'data',
    embeddedPgPort: 54329,
    dbPoolSize: 20,
    dbPreparedStatements: true,
    trustProxy: [],
    sessionIdleMinutesStaff: 15,
    sessionIdleMinutesPatient: 30,
    sessionAbsoluteHours: 12,
    requireMfaForStaff: true,
    demoSeed: mode === 'development',
    loginMaxAccountFailures: 100,
    loginMaxAddressFailures: 30,
    loginAddressWindowMinutes: 15,
    auditCheckpointSeconds: 60,
    auditSealMs: 500,
    attachmentMaxBytes: 100 * 1024 * 1024,
    attachmentImageMaxBytes: 40 * 1024 * 1024,
    attachmentTypes: DEFAULT_ATTACHMENT_TYPES,
    attachmentOrphanHours: 24,
    s3Region: 'us-east-1',
    s3ForcePathStyle: false,
    clamavPort: 3310,
    clamavTimeoutMs: 60_000,
    eventRelay: true,
    natsSubjectPrefix: 'haven',
    allowedOrigins: [],
    eventSocketMaxFrameBytes: 64 * 1024,
    eventSocketFramesPerSecond: 20,
    eventSessionCheckMs: 500,
    eventRetentionDays: 7,
    jobConcurrency: 4,
    jobPollMs: 1000,
    slaSweepSeconds: 30,
    followUpDaySeconds: 86_400,
    notifyDelaySeconds: 60,
    notifyBatchWindowMinutes: 10,
    notifyMaxAttempts: 5,
    notifyRetryBaseMs: 30_000,
    notifyRetryMaxMs: 3_600_000,
    notifyTimeoutMs: 10_000,
    smtpPort: 587,
    smtpTls: 'starttls',
    smsBaseUrl: 'https://api.twilio.com',
    smsWebhookAuth: 'hmac',
    pushEndpointHosts: DEFAULT_PUSH_HOSTS,
    broadcastRatePerSecond: 10,
    logLevel: mode === 'test' ? 'silent' : 'info',
  };
}

function coerce(key: keyof Config, raw: string): unknown {
  const schema = ConfigSchema.properties[key] as { type?: string };
  if (schema.type === 'array') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (schema.type === 'integer' || schema.type === 'number') return Number(raw);
  if (schema.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw;
  }
  return raw;
}

/** Where `npm start` kept the data before it ran from the repository's root. */
export const LEGACY_DATA_DIR = path.join(SERVER_ROOT, 'data');

/**
 * The data directory, absolute. The default (`data`, relative to the working directory) falls back to where `npm start`
 * kept it before (`legacy`) when only that one exists.
 */
export function resolveDataDir(configured: string, cwd = process.cwd(), legacy = LEGACY_DATA_DIR): string {
  const resolved = path.resolve(cwd, configured);
  if (configured === 'data' && !existsSync(resolved) && existsSync(legacy)) return legacy;
  return resolved;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const merged: Record<string, unknown> = defaults(env);
  if (env.HAVEN_CONFIG) {
    const file = JSON.parse(readFileSync(env.HAVEN_CONFIG, 'utf8')) as Record<string, unknown>;
    Object.assign(merged, file);
  }
  for (const [key, envName] of Object.entries(ENV_KEYS) as [keyof Config, string][]) {
    const raw = env[envName];
    if (raw !== undefined && raw !== '') merged[key] = coerce(key, raw);
  }
  Object.assign(merged, overrides);
  // Settings derived from others, once every source has had its say.
  // Until 2026-12-07 `npm start` ran the server from apps/server, so the default ./data was apps/server/data. An
  // install from before keeps using it (openRuntime says so) instead of starting over in an empty ./data.
  merged.dataDir = resolveDataDir(String(merged.dataDir));
  merged.webDir = path.resolve(String(merged.webDir ?? path.join(SERVER_ROOT, '../web/dist')));
  merged.masterKeyFile ??= path.join(String(merged.dataDir), 'master.key');
  merged.publicUrl ??= `http://localhost:${String(merged.port)}`;
  merged.attachmentDir = path.resolve(String(merged.attachmentDir ?? path.join(String(merged.dataDir), 'attachments')));
  merged.attachmentStorage ??= merged.s3Bucket ? 's3' : 'local';
  merged.notifyAppUrl = String(merged.notifyAppUrl ?? merged.publicUrl).replace(/\/+$/, '');
  // The VAPID subject is a contact for push services: an https: URL or a mailto: address.
  merged.vapidSubject ??= String(merged.publicUrl).startsWith('https://')
    ? String(merged.publicUrl)
    : `mailto:${merged.smtpFrom ? String(merged.smtpFrom).replace(/^.*<([^>]+)>.*$/, '$1') : 'postmaster@haven.invalid'}`;
  if (merged.smtpHost && !merged.smtpFrom) throw new ConfigError('SMTP_HOST needs SMTP_FROM (the sender address of notification e-mails)');
  if (Boolean(merged.smtpUser) !== Boolean(merged.smtpPassword)) throw new ConfigError('Set both SMTP_USER and SMTP_PASSWORD, or neither');
  const smsSet = [merged.smsAccountSid, merged.smsAuthToken, merged.smsFrom].filter(Boolean).length;
  if (smsSet !== 0 && smsSet !== 3) throw new ConfigError('SMS needs SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM together');
  if (merged.attachmentStorage === 's3' && !merged.s3Bucket) throw new ConfigError('ATTACHMENT_STORAGE=s3 needs S3_BUCKET');
  if (merged.env === 'production' && merged.demoSeed === true) {
    throw new ConfigError('DEMO_SEED cannot be enabled in production mode');
  }
  // Follow-ups count real days; tests shorten them (a test-only knob, refused anywhere else).
  if (merged.followUpDaySeconds !== undefined && Number(merged.followUpDaySeconds) !== 86_400 && merged.env !== 'test') {
    throw new ConfigError('FOLLOWUP_DAY_SECONDS can only be changed when HAVEN_ENV=test');
  }
  const errors = [...Value.Errors(ConfigSchema, merged)];
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.instancePath || '/'}: ${e.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return merged as Config;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
