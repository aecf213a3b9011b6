import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';

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
      connect: async () => new PreparedClient(await pool.connect(), this) as unknown as PostgresPoolClient,
      end: () => pool.end(),
    };
  }
}

/** Whether an error is PostgreSQL's "cached plan must not change result type". */
const isStalePlan = (err: unknown): boolean => (err as { code?: string }).code === '0A000' && /cached plan/.test((err as Error).message);

/** One checked-out connection as Kysely sees it (a class: Kysely checks a connection out for every query). */
class PreparedClient {
  private inTransaction = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly statements: PreparedStatements,
  ) {}

  async query(text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    const verb = text.trimStart().slice(0, 9).toLowerCase();
    if (verb.startsWith('begin') || verb.startsWith('start tra')) this.inTransaction = true;
    else if (verb.startsWith('commit') || verb.startsWith('rollback')) this.inTransaction = false;
    const name = this.statements.nameFor(text);
    if (!name) return this.client.query(text, values as unknown[]);
    try {
      return await this.named(name, text, values);
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      this.statements.renew();
      if (this.inTransaction) throw err;
      return this.client.query(text, values as unknown[]);
    }
  }

  /** A named query, built from the text (not a config object, which node-postgres would copy property by property). */
  private named(name: string, text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      const q = new pg.Query(text, values as unknown[], (err: Error | undefined, res: pg.QueryResult) => (err ? reject(err) : resolve(res)));
      // The Query type does not declare `name`; node-postgres reads it to prepare the statement once per connection.
      (q as unknown as { name: string }).name = name;
      this.client.query(q);
    });
  }

  release(): void {
    this.client.release();
  }
}
