import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { PreparedStatements } from './prepared-statements.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the pool or a transaction: stores accept both so services decide the transaction boundary. */
export type Queryable = Db | Tx;

// bigint (int8) as string, never a lossy number; timestamps as Date (pg default).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

/**
 * The pool and Kysely on it. `preparedStatements` (default on): statements that repeat run as named statements, parsed
 * and planned once per connection (see PreparedStatements); turn it off behind a pooler that cannot keep them
 * (PgBouncer in transaction mode before 1.21).
 */
export function createDb(connectionString: string, poolSize: number, preparedStatements = true): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: poolSize, idleTimeoutMillis: 30_000 });
  // An idle client that errors (e.g. the server restarted) must not crash the process.
  pool.on('error', () => undefined);
  // Likewise a client in use (e.g. the job queue's LISTEN connection) whose server goes away: its query fails, the
  // process does not.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparedStatements ? new PreparedStatements().pool(pool) : pool }) });
  return { db, pool };
}
