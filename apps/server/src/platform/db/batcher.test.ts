import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Batcher } from './batcher.js';

/** A run function that records each batch and answers after the test releases it. */
function recorder<I, O>(answer: (items: I[]) => (O | Error)[]) {
  const batches: I[][] = [];
  const gates: (() => void)[] = [];
  const run = (items: I[]) =>
    new Promise<(O | Error)[]>((resolve) => {
      batches.push(items);
      gates.push(() => resolve(answer(items)));
    });
  const releaseNext = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { batches, run, releaseNext };
}

describe('Batcher (group commit)', () => {
  test('a lone item goes at once; items arriving while a batch runs leave together as the next batch', async () => {
    const r = recorder<number, number>((xs) => xs.map((x) => x * 10));
    const b = new Batcher(r.run, { maxBatch: 100, maxInFlight: 1 });
    const first = b.submit(1);
    assert.deepEqual(r.batches, [[1]]);
    const rest = [2, 3, 4].map((x) => b.submit(x));
    assert.equal(r.batches.length, 1, 'the next batch waits for the one in flight');
    await r.releaseNext();
    assert.equal(await first, 10);
    assert.deepEqual(r.batches[1], [2, 3, 4]);
    await r.releaseNext();
    assert.deepEqual(await Promise.all(rest), [20, 30, 40]);
  });

  test('maxBatch caps a batch and maxInFlight the batches running at once', async () => {
    const r = recorder<number, number>((xs) => xs);
    const b = new Batcher(r.run, { maxBatch: 2, maxInFlight: 2 });
    const all = [1, 2, 3, 4, 5, 6].map((x) => b.submit(x));
    assert.deepEqual(r.batches, [[1], [2]]);
    await r.releaseNext();
    await r.releaseNext();
    assert.deepEqual(r.batches.slice(2), [[3, 4], [5, 6]]);
    await r.releaseNext();
    await r.releaseNext();
    assert.deepEqual(await Promise.all(all), [1, 2, 3, 4, 5, 6]);
  });

  test('an Error answer fails only its item; a thrown error fails its whole batch and not the next', async () => {
    let calls = 0;
    const b = new Batcher<number, number>(
      async (xs) => {
        calls += 1;
        if (xs.includes(99)) throw new Error('statement failed');
        return xs.map((x) => (x < 0 ? new Error(`bad ${x}`) : x));
      },
      { maxBatch: 10, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([b.submit(1), b.submit(-1), b.submit(2)]);
    assert.deepEqual(results.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal((results[1] as PromiseRejectedResult).reason.message, 'bad -1');
    const failing = await Promise.allSettled([b.submit(99), b.submit(3)]);
    assert.equal(failing[0]!.status, 'rejected');
    assert.equal(await b.submit(4), 4);
    assert.ok(calls >= 3);
  });

  test('items with a key already in the forming batch wait for a later batch', async () => {
    const r = recorder<{ id: string; n: number }, number>((xs) => xs.map((x) => x.n));
    const b = new Batcher(r.run, { maxBatch: 10, maxInFlight: 1, key: (x) => x.id });
    const first = b.submit({ id: 'a', n: 0 });
    const more = [b.submit({ id: 'a', n: 1 }), b.submit({ id: 'b', n: 2 }), b.submit({ id: 'a', n: 3 })];
    await r.releaseNext();
    await first;
    assert.deepEqual(r.batches[1]!.map((x) => x.n), [1, 2]);
    await r.releaseNext();
    assert.deepEqual(r.batches[2]!.map((x) => x.n), [3]);
    await r.releaseNext();
    assert.deepEqual(await Promise.all(more), [1, 2, 3]);
  });

  test('an exclusive key held by a running batch keeps its items out of parallel batches until it is done', async () => {
    const r = recorder<{ thread: string; n: number }, number>((xs) => xs.map((x) => x.n));
    const b = new Batcher(r.run, { maxBatch: 10, maxInFlight: 3, exclusive: (x) => x.thread });
    const all = [b.submit({ thread: 't1', n: 1 }), b.submit({ thread: 't1', n: 2 }), b.submit({ thread: 't2', n: 3 }), b.submit({ thread: 't1', n: 4 })];
    // t1 is held by the first batch: the second batch takes only t2; t1's items wait.
    assert.deepEqual(r.batches.map((x) => x.map((y) => y.n)), [[1], [3]]);
    await r.releaseNext();
    assert.deepEqual(r.batches[2]!.map((y) => y.n), [2, 4]);
    await r.releaseNext();
    await r.releaseNext();
    assert.deepEqual(await Promise.all(all), [1, 2, 3, 4]);
  });

  test('isolateFailures: when a batch of several fails, each item runs alone and only the bad one fails', async () => {
    const seen: number[][] = [];
    let hold: (() => void) | undefined;
    const b = new Batcher<number, number>(
      async (xs) => {
        seen.push(xs);
        if (xs.length === 1 && xs[0] === 0) await new Promise<void>((r) => (hold = r));
        if (xs.includes(-1)) throw new Error('constraint violated');
        return xs;
      },
      { maxBatch: 10, maxInFlight: 1, isolateFailures: true },
    );
    const first = b.submit(0);
    const burst = Promise.allSettled([b.submit(1), b.submit(-1), b.submit(2)]);
    while (!hold) await new Promise((r) => setImmediate(r));
    hold();
    await first;
    const results = await burst;
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(seen.slice(1), [[1, -1, 2], [1], [-1], [2]]);
  });
});
