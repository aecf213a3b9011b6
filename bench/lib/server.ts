/**
 * The server under test as a CHILD PROCESS (`node apps/server/bin/haven.mjs start`), so the load generator's CPU
 * is not billed to it: free ports, starting and waiting for /readyz, stopping, and reading its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Cleanups } from './log.js';
import { log, sleep } from './log.js';

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;

export interface ServerProc {
  child: ChildProcess;
  url: string;
  logFile: string;
  exited: Promise<number | null>;
  /** From spawn until GET /readyz answered 200. */
  readyMs: number;
  /** The data dir of a server that runs embedded PostgreSQL (no DATABASE_URL). */
  dataDir?: string;
}

export async function portFree(port: number): Promise<boolean> {
  if (existsSync(`/tmp/.s.PGSQL.${port}`) || existsSync(`/var/run/postgresql/.s.PGSQL.${port}`)) return false;
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A free loopback port at or above `from`, never 54329 (Haven's default) nor 56000-60000 (the test runner's range). */
export async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 400; p++) {
    if (p === 54329 || (p >= 56000 && p <= 60000)) continue;
    if (await portFree(p)) return p;
  }
  throw new Error(`no free port in [${from}, ${from + 400})`);
}

/** A port the kernel picks (free at the time of asking). */
export async function ephemeralPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A production-mode environment: only the basics of ours, then `vars`. */
export function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ']) if (process.env[k]) env[k] = process.env[k];
  return { ...env, NODE_ENV: 'production', HAVEN_ENV: 'production', HOST: '127.0.0.1', ...vars };
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Servers this process is stopping on purpose (their exit is not reported as unexpected), and how that ends. */
const stopping = new WeakMap<ChildProcess, Promise<void>>();

export interface SpawnOptions {
  root: string;
  /** Environment of the server (PORT is required). */
  vars: Record<string, string>;
  logFile: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Registers a cleanup that stops the server if the bench ends first. */
  cleanups?: Cleanups;
  readyTimeoutMs?: number;
}

let built: Promise<boolean> | undefined;
/**
 * Builds the server bundle (apps/server/dist/haven.mjs) if it is older than the sources, once per bench process,
 * as `npm start` does: the server under test then starts the way an installed Haven starts.
 */
export function ensureServerBundle(): Promise<boolean> {
  built ??= import('../../scripts/build-server.mjs').then(async (m) => {
    const did = await m.buildServerIfNeeded({ quiet: true });
    if (did) log('built the server bundle (apps/server/dist/haven.mjs), as npm start does');
    return did;
  });
  return built;
}

/** Spawns `node apps/server/bin/haven.mjs start` and waits until GET /readyz answers 200. */
export async function spawnServer(o: SpawnOptions): Promise<ServerProc> {
  o.cleanups?.check();
  await ensureServerBundle();
  const port = Number(o.vars.PORT);
  const fd = openSync(o.logFile, 'a');
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), path.join(o.root, 'apps/server/bin/haven.mjs'), 'start'], { cwd: o.root, env: childEnv(o.vars), stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping.has(child)) log(`server ${child.pid} exited unexpectedly (code ${code}, signal ${signal}); log tail:\n${tail(o.logFile)}`);
      resolve((exitCode = code));
    }),
  );
  const dataDir = o.vars.DATABASE_URL ? undefined : o.vars.DATA_DIR;
  o.cleanups?.push(async () => {
    if (exitCode === undefined) await stopServer({ child, url: '', logFile: o.logFile, exited, readyMs: 0, dataDir });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = t0 + (o.readyTimeoutMs ?? READY_TIMEOUT_MS);
  while (performance.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`haven start exited with ${exitCode} before it was ready; log tail:\n${tail(o.logFile)}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return { child, url, logFile: o.logFile, exited, readyMs: performance.now() - t0, dataDir };
    } catch {
      /* not listening yet */
    }
    await sleep(5);
  }
  child.kill('SIGKILL');
  throw new Error(`haven start was not ready after ${o.readyTimeoutMs ?? READY_TIMEOUT_MS} ms; log tail:\n${tail(o.logFile)}`);
}

/**
 * SIGTERM, then SIGKILL after 30 s. A killed server's embedded PostgreSQL (postmaster.pid in its data dir) is
 * stopped too, since nobody else would. Stopping twice waits for the first stop: a second SIGTERM could end the
 * server before it has stopped its embedded PostgreSQL. (Haven's shutdown waits for HTTP keep-alive connections
 * that had a request in flight when it began: close the client's sockets first, or this waits for the timeout.)
 */
export function stopServer(s: ServerProc, dataDir?: string): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return Promise.resolve();
  let stop = stopping.get(s.child);
  if (!stop) {
    stop = terminate(s, dataDir ?? s.dataDir);
    stopping.set(s.child, stop);
  }
  return stop;
}

async function terminate(s: ServerProc, dataDir?: string): Promise<void> {
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exited, sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    log(`server ${s.child.pid} did not stop within ${STOP_TIMEOUT_MS} ms; killing it`);
    s.child.kill('SIGKILL');
    await s.exited;
    let pm = NaN;
    try {
      pm = dataDir ? Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]) : NaN;
    } catch {
      /* no embedded PostgreSQL */
    }
    if (pm) {
      try {
        process.kill(pm, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
  }
}

/** JSON log lines of a server log file. */
export function logLines(file: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not JSON */
    }
  }
  return out;
}

/** Lines the server logged at level error or above. */
export function serverErrors(file: string): string[] {
  return logLines(file)
    .filter((l) => typeof l.level === 'number' && l.level >= 50)
    .map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? '')}`);
}
