import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * Named (prepared) statements for the SQL Haven runs often (decision 0029).
 *
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it on every execution. Haven's hot statements are
 * large (the send statement alone is a dozen CTEs) and measured planning took about 40 % of the database's statement
 * time under load. A statement text seen a second time gets a name derived from its text; node-postgres then parses
 * it once per connection and only binds and executes it afterwards, and PostgreSQL may reuse its plan.
 *
 * Bounds: only the first `maxNamed` distinct texts that repeat are named (texts with a varying number of
 * parameters, such as `IN ($1, $2, …)` lists, stay a minority and would otherwise grow each connection's plan cache
 * without limit); the texts counted towards that are forgotten beyond `maxTracked`.
 *
 * A prepared statement whose result columns change under it (a migration run by another node added a column to a
 * `SELECT *`) fails once with "cached plan must not change result type": every name then changes (a new generation,
 * so each connection prepares afresh), and a statement outside a transaction is retried at once, unnamed. Inside a
 * transaction the error reaches the caller, whose retry runs on the new names.
 */
export class PreparedStatements {
  private readonly seen = new Map<string, number>();
  private readonly names = new Map<string, string>();
  private generation = 0;

  constructor(private readonly opts: { maxNamed: number; maxTracked: number } = { maxNamed: 400, maxTracked: 5000 }) {}

  /** The name for this text, or undefined while it should go unnamed. */
  nameFor(text: string): string | undefined {
    const named = this.names.get(text);
    if (named) return named;
    if (this.names.size >= this.opts.maxNamed) return undefined;
    const n = (this.seen.get(text) ?? 0) + 1;
    if (n < 2) {
      if (this.seen.size >= this.opts.maxTracked) this.seen.clear();
      this.seen.set(text, n);
      return undefined;
    }
    this.seen.delete(text);
    const name = `h${this.generation}_${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
    this.names.set(text, name);
    return name;
  }

  /** Forget every name (after a statement's result type changed): the next uses prepare anew under new names. */
  renew(): void {
    this.generation++;
    this.names.clear();
    this.seen.clear();
  }

  get size(): number {
    return this.names.size;
  }

  /** A pool for Kysely whose clients run repeated statements by name. */
  pool(pool: pg.Pool): PostgresPool {
    return {
      connect: async () => this.client(await pool.connect()),
      end: () => pool.end(),
    };
  }

  private client(client: pg.PoolClient): PostgresPoolClient {
    let inTransaction = false;
    const query = async (text: string, values: readonly unknown[]) => {
      const verb = text.trimStart().slice(0, 9).toLowerCase();
      if (verb.startsWith('begin') || verb.startsWith('start tra')) inTransaction = true;
      else if (verb.startsWith('commit') || verb.startsWith('rollback')) inTransaction = false;
      const name = this.nameFor(text);
      if (!name) return client.query(text, values as unknown[]);
      try {
        return await client.query({ name, text, values: values as unknown[] });
      } catch (err) {
        if ((err as { code?: string }).code !== '0A000' || !/cached plan/.test((err as Error).message)) throw err;
        this.renew();
        if (inTransaction) throw err;
        return client.query(text, values as unknown[]);
      }
    };
    return {
      query: query as unknown as PostgresPoolClient['query'],
      release: () => client.release(),
    };
  }
}
