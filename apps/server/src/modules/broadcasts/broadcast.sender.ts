import type { Logger } from 'pino';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { RequestContext } from '../../platform/http/context.js';
import { AppError } from '../../platform/http/errors.js';
import type { JobQueue } from '../../platform/jobs/job-queue.js';
import type { MessageService } from '../messages/message.service.js';
import type { OrganizationService } from '../organization/organization.service.js';
import { can } from '../policy/policy.js';
import type { MessagingAccess } from '../rollout/messaging-access.js';
import type { ThreadService } from '../threads/thread.service.js';
import type { UserRecord, UserService } from '../users/user.service.js';
import { broadcastFieldAad } from './broadcast.fields.js';
import { render, variableValues } from './broadcast.render.js';
import type { BroadcastRow, BroadcastStore, RecipientRow } from './broadcast.store.js';

export const BROADCAST_JOB = 'broadcasts.send';
const jobKey = (broadcastId: string): string => `broadcast:${broadcastId}`;

/** One run sends for about this long, then hands over to the next run (a queued job): shutdowns never wait long. */
const RUN_MS = 1000;
/** A run holds the broadcast's lease this long at most (a crashed run's lease expires). */
const LEASE_MS = 30_000;
/** Pauses shorter than this are slept inside the run; longer ones are left to the queue (runAt). */
const SLEEP_MAX_MS = 2000;
const SUBJECT_MAX = 200;

type Outcome = { state: 'sent' } | { state: 'skipped' | 'failed'; reason: string };

interface RunContext {
  b: BroadcastRow;
  author: UserRecord | undefined;
  subject: string;
  body: string;
  practice: { name: string; phone: string | null };
}

/**
 * Delivers broadcasts: a job on the job queue (graphile-worker) sends to a broadcast's pending recipients one by
 * one, at most `ratePerSecond` sends per second, each as the author through ThreadService.create and
 * MessageService.send (so each recipient gets a thread of their own, authorized, audited and delivered live like any
 * other). A run lasts about a second and queues the next one; cancelling stops the runs before their next send.
 * Thread and message ids derive from the broadcast and the patient, so a run that repeats a send duplicates nothing.
 */
export class BroadcastSender {
  private log: Logger | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: BroadcastStore,
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly threads: ThreadService,
    private readonly messages: MessageService,
    private readonly access: MessagingAccess,
    private readonly keyring: Keyring,
    private readonly jobs: JobQueue,
    private readonly opts: { ratePerSecond: number },
  ) {
    jobs.define<{ orgId: string; broadcastId: string }>({
      name: BROADCAST_JOB,
      maxAttempts: 10,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      run: (p) => this.run(p.orgId, p.broadcastId),
    });
  }

  setLogger(logger: Logger): void {
    this.log = logger;
  }

  /** Queues a run of the broadcast (inside the caller's transaction); one waiting run per broadcast. */
  enqueue(tx: Queryable, orgId: string, broadcastId: string, runAt?: Date): Promise<void> {
    return this.jobs.enqueue(tx, BROADCAST_JOB, { orgId, broadcastId }, { key: jobKey(broadcastId), ...(runAt ? { runAt } : {}) });
  }

  /** One run: sends at the configured rate for about RUN_MS, then queues the next run or completes the broadcast. */
  async run(orgId: string, broadcastId: string): Promise<void> {
    const b = await this.store.byId(orgId, broadcastId);
    if (!b || b.cancelled_at || b.completed_at) return;
    const lease = await this.store.claimLease(b.id, LEASE_MS);
    if (!lease) {
      // Another run holds the lease (or held it when its node died): try again when it expires at the latest.
      const again = await this.store.byId(orgId, broadcastId);
      if (again?.lease_until && !again.cancelled_at && !again.completed_at) await this.enqueue(this.db, orgId, b.id, again.lease_until);
      return;
    }
    try {
      await this.send(b, lease);
    } catch (err) {
      // Let the retry (the queue's backoff) take the lease at once instead of waiting for it to expire.
      await this.db.transaction().execute((tx) => this.store.releaseLease(tx, b.id, lease)).catch(() => undefined);
      throw err;
    }
  }

  private async send(b: BroadcastRow, lease: string): Promise<void> {
    const interval = 1000 / this.opts.ratePerSecond;
    const run = await this.load(b);
    const started = Date.now();
    let sends = 0;
    for (;;) {
      if (await this.store.isCancelled(b.id)) return this.release(b.org_id, b.id, lease, null);
      const r = await this.store.nextPending(b.id);
      if (!r) {
        await this.db.transaction().execute(async (tx) => {
          if (!(await this.store.completeIfDone(tx, b.id))) await this.store.releaseLease(tx, b.id, lease);
        });
        return;
      }
      const outcome = await this.sendOne(run, r);
      await this.store.settle(b.id, r.patient_id, outcome.state, outcome.state === 'sent' ? null : outcome.reason);
      if (outcome.state !== 'sent') {
        // Skips and failures do not count against the rate, but a run still ends on time.
        if (Date.now() - started >= RUN_MS) return this.release(b.org_id, b.id, lease, {});
        continue;
      }
      // Send n of this run is due at started + n × interval.
      sends++;
      const due = started + sends * interval;
      const wait = due - Date.now();
      if (due - started >= RUN_MS) {
        if (wait > 0 && wait <= SLEEP_MAX_MS) await sleep(wait);
        return this.release(b.org_id, b.id, lease, { at: wait > SLEEP_MAX_MS ? new Date(due) : undefined });
      }
      if (wait > 0) await sleep(wait);
    }
  }

  /** Gives the lease back and, unless cancelled, queues the next run, in one transaction (no run is lost between). */
  private async release(orgId: string, broadcastId: string, lease: string, next: { at?: Date } | null): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await this.store.releaseLease(tx, broadcastId, lease);
      if (next) await this.enqueue(tx, orgId, broadcastId, next.at);
    });
  }

  private async load(b: BroadcastRow): Promise<RunContext> {
    const [author, subject, body] = await Promise.all([
      this.users.byId(b.org_id, b.created_by),
      this.keyring.decrypt(b.key_id, b.subject_ct, broadcastFieldAad(b.org_id, b.id, 'subject')),
      this.keyring.decrypt(b.key_id, b.body_ct, broadcastFieldAad(b.org_id, b.id, 'body')),
    ]);
    const org = author ? await this.orgs.get(authorContext(b, author)) : null;
    return { b, author, subject, body, practice: { name: org?.name ?? '', phone: org?.practicePhone ?? null } };
  }

  /**
   * Sends to one recipient. Whatever goes wrong with this recipient (a lookup, a decryption) is their outcome,
   * `failed`: it must not stop the run, or the same recipient would stall every retry of the broadcast.
   */
  private async sendOne(run: RunContext, r: RecipientRow): Promise<Outcome> {
    try {
      return await this.trySendOne(run, r);
    } catch (err) {
      const e = err as { name?: string; code?: string };
      this.log?.error({ broadcastId: run.b.id, patientId: r.patient_id, err: { name: e.name, code: e.code } }, 'broadcast recipient failed');
      return { state: 'failed', reason: 'error' };
    }
  }

  /** Sends to one recipient as the author, re-checking now what the preview checked then. */
  private async trySendOne(run: RunContext, r: RecipientRow): Promise<Outcome> {
    const { b, author } = run;
    const settings = await this.orgs.settings(b.org_id);
    if (!author || author.status !== 'active' || !can({ userId: author.id, orgId: author.org_id, role: author.role, sessionId: '' }, 'broadcasts.create', { orgId: b.org_id }, settings)) {
      return { state: 'failed', reason: 'author_inactive' };
    }
    const patient = await this.users.byId(b.org_id, r.patient_id);
    if (!patient || patient.role !== 'patient' || patient.status !== 'active') return { state: 'skipped', reason: 'inactive' };
    const decision = await this.access.canMessage(b.org_id, patient.id, { fresh: true });
    if (decision.archived) return { state: 'skipped', reason: 'archived' };
    if (!decision.enabled) return { state: 'skipped', reason: 'messaging_not_enabled' };
    const ctx = authorContext(b, author);
    const values = variableValues((await this.users.decryptIdentity(patient)).name, run.practice);
    try {
      try {
        await this.threads.create(ctx, { kind: 'patient', patientId: patient.id, subject: [...render(run.subject, values)].slice(0, SUBJECT_MAX).join(''), topic: b.topic }, { id: r.thread_id });
      } catch (err) {
        // The thread exists: an earlier run made it (its message may be missing).
        if ((err as { code?: string }).code !== '23505') throw err;
      }
      await this.messages.send(ctx, r.thread_id, { id: r.message_id, body: render(run.body, values) });
      return { state: 'sent' };
    } catch (err) {
      if (err instanceof AppError) {
        if (err.code === 'patient_archived') return { state: 'skipped', reason: 'archived' };
        if (err.code === 'messaging_not_enabled') return { state: 'skipped', reason: 'messaging_not_enabled' };
        // The author no longer sees the patient (e.g. moved to another care team).
        if (err.code === 'not_found' || err.code === 'forbidden') return { state: 'skipped', reason: 'out_of_scope' };
        // A message already stored under this id (an earlier run's, written before the patient's name changed).
        if (err.code === 'idempotency_conflict') return { state: 'sent' };
      }
      const e = err as { name?: string; code?: string };
      this.log?.error({ broadcastId: b.id, patientId: patient.id, err: { name: e.name, code: e.code } }, 'broadcast send failed');
      return { state: 'failed', reason: 'error' };
    }
  }
}

/** The author, acting through the services as if sending by hand (audited as them, authorized as them now). */
const authorContext = (b: BroadcastRow, author: UserRecord): RequestContext => ({
  actor: { userId: author.id, orgId: b.org_id, role: author.role, sessionId: '' },
  address: null,
  requestId: `broadcast-${b.id}`,
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
