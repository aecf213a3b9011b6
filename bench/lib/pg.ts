/** The machine's PostgreSQL as the benchmarks use it: an admin connection, per-run databases, CPU of its processes. */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { procStat } from './machine.js';

export async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The URL of database `name` on the admin URL's server; `socketDir` connects over that Unix socket instead. */
export function databaseUrl(adminUrl: string, name: string, socketDir?: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  if (socketDir) u.searchParams.set('host', socketDir);
  return u.toString();
}

/** CPU seconds of a PostgreSQL postmaster and all its children (backends, WAL writer, checkpointer, ...). */
export function pgTreeCpu(postmaster: number | undefined): number {
  if (!postmaster) return NaN;
  let sum = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const st = procStat(pid);
    if (st && (pid === postmaster || st.ppid === postmaster)) sum += st.cpuS;
  }
  return sum;
}
