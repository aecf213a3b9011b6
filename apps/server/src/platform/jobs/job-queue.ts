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

  /** Adds several jobs of one kind in one statement, inside the caller's transaction. */
  async enqueueMany(tx: Queryable, name: string, jobs: { payload: Record<string, unknown>; runAt?: Date; key?: string }[], keyMode: 'replace' | 'preserve_run_at' = 'replace'): Promise<void> {
    if (!this.jobs.has(name)) throw new Error(`unknown job ${name}`);
    if (jobs.length === 0) return;
    await sql`SELECT graphile_worker.add_job(${name}, j.payload::json, run_at => j.run_at, max_attempts => ${QUEUE_MAX_ATTEMPTS}::int,
                       job_key => j.job_key, job_key_mode => ${keyMode}::text)
                FROM unnest(${jobs.map((j) => JSON.stringify(j.payload))}::text[], ${jobs.map((j) => j.runAt ?? null)}::timestamptz[],
                            ${jobs.map((j) => j.key ?? null)}::text[]) AS j(payload, run_at, job_key)`.execute(tx);
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
