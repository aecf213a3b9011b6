import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HavenClient } from '@haven/api';
import { createPractice, startNode, startTestServer, uuid, type Practice, type TestServer } from './harness.js';
import { isEvent, listen, sleep } from './live.js';

// Several server processes share one PostgreSQL and one NATS server: a message sent through one node reaches
// clients connected to another, exactly one relay leads, and killing a node in the middle of a burst of sends
// loses no acknowledged message and no event.

const NATS_URL = process.env.HAVEN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `haven_t_${randomBytes(4).toString('hex')}`;
const bin = fileURLToPath(new URL('../bin/haven.mjs', import.meta.url));

let server: TestServer;
let p: Practice;

before(async () => {
  server = await startTestServer({ natsUrl: NATS_URL, natsSubjectPrefix: prefix });
  p = await createPractice(server, 'nodes');
});
after(() => server.stop());

/** The same signed-in user, talking to another node. */
const via = (baseUrl: string, c: HavenClient) => new HavenClient({ baseUrl, token: c.token });

describe('several nodes', () => {
  test('a message sent through one node reaches clients on the others; one relay leads', async () => {
    const b = await startNode(server);
    const c = await startNode(server);
    try {
      await sleep(1500);
      assert.equal([server, b, c].filter((n) => n.relay.isLeader).length, 1, 'exactly one relay leads');
      const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Across nodes', topic: 'other' } });
      const onB = await listen(via(b.url, p.provider.client));
      const onC = await listen(via(c.url, p.patientA.client));
      const onA = await listen(p.nurse.client);
      try {
        const fromA = await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'sent through node A' } });
        const fromC = await via(c.url, p.provider.client).call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: 'answered through node C' } });
        for (const l of [onA, onB, onC]) {
          assert.equal((await l.waitFor(isEvent('message.created', fromA.id))).event.message?.body, 'sent through node A');
          assert.equal((await l.waitFor(isEvent('message.created', fromC.id))).event.message?.body, 'answered through node C');
        }
        // Typing crosses nodes too.
        onB.stream.typing(thread.id);
        await onC.waitFor((f) => f.type === 'typing' && f.userId === p.provider.id);
      } finally {
        for (const l of [onA, onB, onC]) l.stream.close();
      }
    } finally {
      await b.close();
      await c.close();
    }
  });

  test('the relay fails over: when the leading node stops, another takes over and nothing is lost', async () => {
    const b = await startNode(server);
    try {
      const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Failover', topic: 'other' } });
      const onB = await listen(via(b.url, p.provider.client));
      const leader = server.relay.isLeader ? server : b;
      assert.ok(leader.relay.isLeader);
      await leader.relay.stop();
      const sent = [];
      for (let i = 0; i < 10; i++) sent.push(await p.patientA.client.call('messages.create', { params: { threadId: thread.id }, body: { id: uuid(), body: `during failover ${i}` } }));
      if (leader === server) {
        for (const m of sent) await onB.waitFor(isEvent('message.created', m.id), 5000);
      }
      onB.stream.close();
    } finally {
      await b.close();
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A real `haven start` process on the test database, sharing its NATS prefix and master key. */
async function spawnNode(): Promise<{ child: ChildProcess; url: string; dataDir: string }> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'haven-test-child-'));
  const child = spawn(process.execPath, [bin, 'start'], {
    env: {
      ...process.env,
      HAVEN_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: server.databaseUrl,
      HAVEN_MASTER_KEY: server.config.masterKey,
      NATS_URL,
      NATS_SUBJECT_PREFIX: prefix,
      DEMO_SEED: 'false',
      REQUIRE_MFA_FOR_STAFF: 'false',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return { child, url, dataDir };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('child node did not start');
}

describe('a node killed in the middle of a burst', () => {
  test('every acknowledged message exists exactly once, and every recipient stream has it once', async () => {
    // The in-process node runs no relay here: the child leads it, so the kill also hits the relay.
    await server.relay.stop();
    const thread = await p.patientA.client.call('threads.create', { body: { subject: 'Crash', topic: 'other' } });
    const listener = await listen(p.provider.client); // on the surviving in-process node
    let node = await spawnNode();
    const acked: string[] = [];
    try {
      const patientOnChild = via(node.url, p.patientA.client);
      let kill: Promise<void> | undefined;
      const sends = Array.from({ length: 300 }, async (_, i) => {
        await sleep(i * 2);
        const id = uuid();
        try {
          await patientOnChild.call('messages.create', { params: { threadId: thread.id }, body: { id, body: `burst ${i}` } });
          acked.push(id);
          if (acked.length === 60) kill ??= Promise.resolve().then(() => void node.child.kill('SIGKILL'));
        } catch {
          // Refused or cut off by the kill: not acknowledged, so not promised.
        }
      });
      await Promise.all(sends);
      await kill;
      assert.ok(acked.length >= 60, `only ${acked.length} sends were acknowledged before the kill`);
      assert.ok(acked.length < 300, 'the kill did not interrupt the burst');

      node = await spawnNode();
      // Every acknowledged message, exactly once in the record.
      const stored = new Map<string, number>();
      let cursor: string | undefined;
      do {
        const page = await p.provider.client.call('messages.list', { params: { threadId: thread.id }, query: { limit: 100, ...(cursor ? { before: cursor } : {}) } });
        for (const m of page.items) stored.set(m.id, (stored.get(m.id) ?? 0) + 1);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (const id of acked) assert.equal(stored.get(id), 1, `acknowledged message ${id} stored ${stored.get(id) ?? 0} times`);

      // The live stream that stayed open across the crash gets each one exactly once...
      for (const id of acked) await listener.waitFor(isEvent('message.created', id), 15_000);
      await sleep(500);
      const live = listener.events().filter((e) => e.type === 'message.created' && e.threadId === thread.id).map((e) => e.messageId!);
      assert.equal(new Set(live).size, live.length, 'a live event arrived twice');
      // ...and so does a stream replayed from the start on the restarted node.
      const replay = await listen(via(node.url, p.patientA.client), { cursor: '0' });
      const replayed = replay.events().filter((e) => e.type === 'message.created' && e.threadId === thread.id).map((e) => e.messageId!);
      replay.stream.close();
      assert.equal(new Set(replayed).size, replayed.length, 'a replayed event appears twice');
      for (const id of acked) assert.ok(replayed.includes(id), `acknowledged message ${id} missing from the replayed stream`);
    } finally {
      listener.stream.close();
      node.child.kill('SIGKILL');
      rmSync(node.dataDir, { recursive: true, force: true });
    }
  });
});
