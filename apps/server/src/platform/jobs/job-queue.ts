import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Logger as GraphileLogger, Runner, TaskList } from 'graphile-worker';
import type { Queryable } from '../db/database.js';

/**
 * A job: a small named function with its own retry policy. A run that throws is tried again after an exponential
 * backoff (`baseMs × 2^(attempt-1)`, at most `maxMs`) until `maxAttempts` runs have failed. Payloads are JSON with
 * identifiers only (never message text or contact data): they sit in the database until the job runs.
 */
export interface JobDefinition<P extends Record<string, unknown>> {
  name: string;
  maxAttempts: number;
  backoff: { baseMs: number; maxMs: number };
  run(payload: P, info: { attempt: number }): Promise<void>;
}

export interface EnqueueOptions {
  /** Not before this time (default: now). */
  runAt?: Date;
  /**
   * At most one waiting job per key. `replace` (default): a new job with the key replaces the waiting one (payload
   * and time); `preserve_run_at`: it replaces the payload but keeps the waiting job's time, so jobs coalesce.
   */
  key?: string;
  keyMode?: 'replace' | 'preserve_run_at';
}

/** graphile-worker's own retries only catch what escapes ours (e.g. the database is down while re-enqueuing). */
const QUEUE_MAX_ATTEMPTS = 10;
const ATTEMPT = '_attempt';

/** Delay before attempt `attempt + 1`, after `attempt` failed. */
export function backoffDelay(backoff: { baseMs: number; maxMs: number }, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Haven's job queue on PostgreSQL (graphile-worker; see docs/decisions/0012). Jobs are rows: `enqueue` takes the
 * caller's transaction, so a job commits with the change that caused it or not at all (a transactional outbox).
 * New jobs are picked up within milliseconds (LISTEN/NOTIFY); scheduled ones by a poll every `pollMs`.
 */
export class JobQueue {
  private readonly jobs = new Map<string, JobDefinition<Record<string, unknown>>>();
  private runner: Runner | undefined;
  private log: Logger | undefined;

  define<P extends Record<string, unknown>>(job: JobDefinition<P>): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} defined twice`);
    this.jobs.set(job.name, job as unknown as JobDefinition<Record<string, unknown>>);
  }

  /** Adds a job inside the caller's transaction (or on its own when given the pool's Kysely instance). */
  async enqueue(tx: Queryable, name: string, payload: Record<string, unknown>, opts: EnqueueOptions = {}): Promise<void> {
    if (!this.jobs.has(name)) throw new Error(`unknown job ${name}`);
    await sql`SELECT graphile_worker.add_job(${name}, ${JSON.stringify(payload)}::json,
                run_at => ${opts.runAt ?? null}::timestamptz, max_attempts => ${QUEUE_MAX_ATTEMPTS}::int,
                job_key => ${opts.key ?? null}::text, job_key_mode => ${opts.keyMode ?? 'replace'}::text)`.execute(tx);
  }

  /**
   * Adds several jobs of one kind in one statement (one `graphile_worker.add_jobs` call), inside the caller's
   * transaction.
   *
   * With `preserve_run_at` (coalescing jobs, such as a recipient's notification flush), a key whose job is already
   * waiting untouched (not running, never failed, same payload) is left alone: for such a job `add_jobs` would change
   * nothing but its revision, yet it costs a row update, a NOTIFY that wakes every worker, and index churn. Those rows
   * are locked FOR SHARE until the caller commits, so no worker can start the job before the change that caused it is
   * visible (graphile-worker takes jobs FOR UPDATE SKIP LOCKED), exactly as the row lock of `add_jobs`' own upsert
   * would. Decision 0029.
   */
  async enqueueMany(tx: Queryable, name: string, jobs: { payload: Record<string, unknown>; runAt?: Date; key?: string }[], keyMode: 'replace' | 'preserve_run_at' = 'replace'): Promise<void> {
    if (!this.jobs.has(name)) throw new Error(`unknown job ${name}`);
    if (jobs.length === 0) return;
    // One spec per key (add_jobs' upsert cannot touch a row twice): the last one wins, as it would in a row of add_job calls.
    const byKey = new Map<string, (typeof jobs)[number]>();
    jobs = jobs.filter((j) => j.key === undefined || (byKey.set(j.key, j), false)).concat([...byKey.values()]);
    const payloads = jobs.map((j) => JSON.stringify(j.payload));
    const runAts = jobs.map((j) => j.runAt ?? null);
    const keys = jobs.map((j) => j.key ?? null);
    const coalesce = keyMode === 'preserve_run_at';
    await sql`
      WITH spec AS (
        SELECT * FROM unnest(${payloads}::text[], ${runAts}::timestamptz[], ${keys}::text[]) AS s(payload, run_at, job_key)
      ), waiting AS (
        SELECT key, payload FROM graphile_worker._private_jobs
         WHERE ${coalesce} AND key IN (SELECT job_key FROM spec WHERE job_key IS NOT NULL) AND locked_at IS NULL AND attempts = 0
         ORDER BY key
           FOR SHARE
      ), todo AS (
        SELECT array_agg(ROW(${name}::text, s.payload::json, NULL::text, s.run_at, ${QUEUE_MAX_ATTEMPTS}::smallint, s.job_key, NULL::smallint, NULL::text[])::graphile_worker.job_spec) AS specs
          FROM spec s
         WHERE NOT EXISTS (SELECT 1 FROM waiting w WHERE w.key = s.job_key AND w.payload::jsonb = s.payload::jsonb)
      )
      SELECT (SELECT count(*) FROM graphile_worker.add_jobs(todo.specs, ${coalesce})) AS added FROM todo WHERE todo.specs IS NOT NULL`.execute(tx);
  }

  /** Starts running jobs on this node (the queue's schema is installed or migrated first). */
  async start(opts: { pool: pg.Pool; logger: Logger; concurrency: number; pollMs: number; db: Queryable }): Promise<void> {
    if (this.runner) return;
    this.log = opts.logger;
    const taskList: TaskList = {};
    for (const job of this.jobs.values()) {
      taskList[job.name] = async (raw, helpers) => {
        const { [ATTEMPT]: attemptRaw, ...payload } = (raw ?? {}) as Record<string, unknown>;
        const attempt = typeof attemptRaw === 'number' ? attemptRaw : 1;
        try {
          await job.run(payload, { attempt });
        } catch (err) {
          const e = err as Error;
          if (attempt >= job.maxAttempts) {
            this.log?.error({ job: job.name, attempt, err: { name: e.name, message: e.message } }, 'job failed; no attempts left');
            return;
          }
          const delay = backoffDelay(job.backoff, attempt);
          this.log?.warn({ job: job.name, attempt, retryInMs: delay, err: { name: e.name, message: e.message } }, 'job failed; will retry');
          await this.enqueue(opts.db, job.name, { ...payload, [ATTEMPT]: attempt + 1 }, { runAt: new Date(Date.now() + delay), ...(helpers.job.key ? { key: helpers.job.key } : {}) });
        }
      };
    }
    const { run } = await import('graphile-worker');
    this.runner = await run({
      pgPool: opts.pool,
      taskList,
      concurrency: opts.concurrency,
      pollInterval: opts.pollMs,
      noHandleSignals: true,
      logger: await graphileLogger(opts.logger),
    });
  }

  /** Stops taking jobs and waits for the running ones to finish. */
  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    await runner?.stop();
  }
}

/**
 * Installs or migrates the queue's schema (graphile_worker); `haven migrate` and every server start run it. The
 * library is loaded on first use, so CLI commands that run no jobs never load it.
 */
export async function migrateJobQueue(pool: pg.Pool, logger?: Logger): Promise<void> {
  const { runMigrations } = await import('graphile-worker');
  await runMigrations({ pgPool: pool, logger: await graphileLogger(logger) });
}

/** graphile-worker's log lines into Haven's logger: its chatter at debug, problems at warn/error. */
async function graphileLogger(logger: Logger | undefined): Promise<GraphileLogger> {
  const { Logger: GraphileLoggerClass } = await import('graphile-worker');
  return new GraphileLoggerClass((scope) => (level, message) => {
    if (!logger) return;
    const fields = { queue: 'graphile-worker', ...(scope.taskIdentifier ? { job: scope.taskIdentifier } : {}), ...(scope.jobId ? { jobId: scope.jobId } : {}) };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message);
  });
}
