import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FLUSH_JOB, flushKey } from '../../modules/notifications/notification.dispatch.js';
import { startTestServer, uuid, type TestServer } from '../../../test/harness.js';

/**
 * enqueueMany against graphile-worker's real schema (decision 0029): coalescing jobs (`preserve_run_at`) leave an
 * untouched waiting job alone, and everything else behaves as graphile-worker's own add_job does.
 */
describe('job queue: enqueueMany', () => {
  let server: TestServer;
  const at = (s: number) => new Date(Date.now() + s * 1000);

  before(async () => {
    // Jobs stay in the table: this server runs none (a far poll and no worker would race the assertions).
    server = await startTestServer({ jobConcurrency: 1, jobPollMs: 3_600_000 });
    await server.services.jobs.stop();
  });
  after(() => server.stop());

  const job = async (key: string) =>
    (
      await server.sql<{ id: string; run_at: Date; revision: number; attempts: number; payload: Record<string, unknown>; locked_at: Date | null }>(
        'select id, run_at, revision, attempts, payload, locked_at from graphile_worker._private_jobs where key = $1',
        [key],
      )
    ).rows;

  const flush = (userId: string, runAt: Date, mode: 'replace' | 'preserve_run_at' = 'preserve_run_at', orgId = 'org') =>
    server.services.jobs.enqueueMany(server.db, FLUSH_JOB, [{ payload: { orgId, userId }, runAt, key: flushKey(userId) }], mode);

  it('preserve_run_at: a waiting job keeps its time and is not rewritten; a new key gets its job', async () => {
    const u = uuid();
    await flush(u, at(60));
    const [first] = await job(flushKey(u));
    assert.ok(first);
    await flush(u, at(5));
    await flush(u, at(120));
    const [again] = await job(flushKey(u));
    assert.equal(again?.id, first.id);
    assert.equal(again?.run_at.getTime(), first.run_at.getTime(), 'the earlier waiting time stays');
    assert.equal(again?.revision, 0, 'an untouched waiting job is not rewritten');
  });

  it('preserve_run_at: a job with another payload, a failed job and a running job are handled as add_job would', async () => {
    const [a, b, c] = [uuid(), uuid(), uuid()];
    const t = at(60);
    for (const u of [a, b, c]) await flush(u, t);
    // Another payload under the same key replaces the payload (not the time).
    await flush(a, at(5), 'preserve_run_at', 'other-org');
    const [ja] = await job(flushKey(a));
    assert.equal(ja?.payload.orgId, 'other-org');
    assert.equal(ja?.run_at.getTime(), t.getTime());
    // A job that failed before is reset (attempts 0) and gets the new time, as graphile-worker does.
    await server.sql("update graphile_worker._private_jobs set attempts = 1, last_error = 'x' where key = $1", [flushKey(b)]);
    const soon = at(5);
    await flush(b, soon);
    const [jb] = await job(flushKey(b));
    assert.equal(jb?.attempts, 0);
    assert.equal(jb?.run_at.getTime(), soon.getTime());
    // A running (locked) job keeps running and a new job is queued under the key.
    await server.sql("update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test' where key = $1", [flushKey(c)]);
    const [running] = await job(flushKey(c));
    await flush(c, soon);
    const [jc] = await job(flushKey(c));
    assert.notEqual(jc?.id, running?.id);
    assert.equal(jc?.locked_at, null);
  });

  it('replace moves a waiting job; several jobs and a repeated key go in one call', async () => {
    const [a, b] = [uuid(), uuid()];
    await flush(a, at(60));
    const soon = at(2);
    await server.services.jobs.enqueueMany(
      server.db,
      FLUSH_JOB,
      [
        { payload: { orgId: 'org', userId: a }, runAt: at(30), key: flushKey(a) },
        { payload: { orgId: 'org', userId: b }, runAt: at(40), key: flushKey(b) },
        { payload: { orgId: 'org', userId: a }, runAt: soon, key: flushKey(a) },
      ],
      'replace',
    );
    assert.equal((await job(flushKey(a)))[0]?.run_at.getTime(), soon.getTime(), 'the last spec of a key wins');
    assert.equal((await job(flushKey(b))).length, 1);
  });

  it('a waiting job is locked until the enqueuing transaction commits, so no worker starts it early', async () => {
    const u = uuid();
    await flush(u, new Date(Date.now() - 1000));
    await server.db.transaction().execute(async (tx) => {
      await server.services.jobs.enqueueMany(tx, FLUSH_JOB, [{ payload: { orgId: 'org', userId: u }, runAt: new Date(), key: flushKey(u) }], 'preserve_run_at');
      // What graphile-worker's get_job does: FOR UPDATE SKIP LOCKED. The row is skipped while the transaction is open.
      const taken = await server.sql("select id from graphile_worker._private_jobs where key = $1 and locked_at is null for update skip locked", [flushKey(u)]);
      assert.equal(taken.rowCount, 0);
    });
    const free = await server.sql("select id from graphile_worker._private_jobs where key = $1 for update skip locked", [flushKey(u)]);
    assert.equal(free.rowCount, 1);
  });
});
