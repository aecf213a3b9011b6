import path from 'node:path';
import type { Clock } from './platform/time/clock.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp, buildServices, type Services } from './app.js';
import { ConfigError, isLoopback, LEGACY_DATA_DIR, loadConfig, type Config } from './config.js';
import { createKeyProvider, type KeyProvider } from './platform/crypto/key-provider.js';
import { createDb, type Db } from './platform/db/database.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './platform/db/embedded.js';
import { migrateToLatest } from './platform/db/migrate.js';
import { migrateJobQueue } from './platform/jobs/job-queue.js';
import type pg from 'pg';
import { createLogger } from './platform/log/logger.js';
import type { EventRelay } from './modules/events/event.relay.js';
import type { EventHub } from './modules/events/event.hub.js';
import { seedDemo, type SeededAccount } from './modules/demo/demo.seed.js';

export interface Runtime {
  config: Config;
  db: Db;
  pool: pg.Pool;
  services: Services;
  keyProvider: KeyProvider;
  logger: Logger;
  close(): Promise<void>;
}

export interface HavenServer extends Runtime {
  app: FastifyInstance;
  relay: EventRelay;
  hub: EventHub;
  url: string;
  seeded?: { organization: string; accounts: SeededAccount[] };
}

/** Refuses plain HTTP on a non-loopback address unless a TLS-terminating proxy is configured. */
export function checkTransport(config: Config): void {
  const tls = Boolean(config.tlsCertFile && config.tlsKeyFile);
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) throw new ConfigError('Set both TLS_CERT_FILE and TLS_KEY_FILE');
  if (!tls && !isLoopback(config.host) && config.trustProxy.length === 0) {
    throw new ConfigError(
      `Refusing to serve plain HTTP on ${config.host}: set TLS_CERT_FILE and TLS_KEY_FILE, or TRUST_PROXY to the address of the TLS-terminating proxy in front of Haven`,
    );
  }
}

/** Database (embedded unless DATABASE_URL), master key, migrations: everything but the HTTP listener. */
export async function openRuntime(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Runtime & { embedded?: EmbeddedDatabase }> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    const t0 = Date.now();
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, (line) => logger.debug({ pg: line.trim() }, 'embedded postgres'));
    url = embedded.url;
    logger.info({ ms: Date.now() - t0, port: config.embeddedPgPort }, 'embedded PostgreSQL started');
  }
  if (config.dataDir === LEGACY_DATA_DIR && process.cwd() !== path.dirname(LEGACY_DATA_DIR)) {
    logger.warn({ dataDir: config.dataDir }, 'using the data directory of an earlier install; stop Haven and move it to ./data, or set DATA_DIR');
  }
  const { db, pool } = createDb(url, config.dbPoolSize, config.dbPreparedStatements);
  const { provider, created } = await createKeyProvider(config);
  if (created) logger.warn({ file: config.masterKeyFile }, 'created a new master key (mode 0600): back it up; without it the data cannot be read');
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const services = buildServices(db, provider, config);
  return {
    config,
    db,
    pool,
    services,
    keyProvider: provider,
    logger,
    embedded,
    async close() {
      await db.destroy();
      if (embedded) await embedded.stop();
    },
  };
}

/** Starts Haven: runtime, first-start demo seed, HTTP listener and the audit checkpoint timer. */
export async function startHaven(config: Config, logger?: Logger, opts: { clock?: Clock } = {}): Promise<HavenServer> {
  checkTransport(config);
  const runtime = await openRuntime(config, logger);
  await migrateJobQueue(runtime.pool, runtime.logger);
  const { app, services, relay, hub } = await buildApp({ config, db: runtime.db, keyProvider: runtime.keyProvider, logger: runtime.logger, pool: runtime.pool, clock: opts.clock });
  let seeded: HavenServer['seeded'];
  if (config.demoSeed && config.env !== 'production' && (await services.orgs.all()).length === 0) {
    seeded = await seedDemo(runtime.db, services);
  }
  await services.audit.publicKey();
  const timer = setInterval(() => {
    services.audit.checkpointAll().catch((err: Error) => runtime.logger.error({ err: { message: err.message } }, 'audit checkpoint failed'));
  }, config.auditCheckpointSeconds * 1000);
  timer.unref();
  let sealing = false;
  const sealer = setInterval(() => {
    if (sealing) return;
    sealing = true;
    services.audit
      .seal()
      .catch((err: Error) => runtime.logger.error({ err: { message: err.message } }, 'audit sealing failed'))
      .finally(() => (sealing = false));
  }, config.auditSealMs);
  sealer.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const scheme = config.tlsCertFile ? 'https' : 'http';
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    ...runtime,
    services,
    app,
    relay,
    hub,
    url: `${scheme}://${host}:${port}`,
    seeded,
    async close() {
      clearInterval(timer);
      clearInterval(sealer);
      await app.close();
      await services.audit.checkpointAll().catch(() => undefined);
      await runtime.close();
    },
  };
}

export { loadConfig, migrateJobQueue };
