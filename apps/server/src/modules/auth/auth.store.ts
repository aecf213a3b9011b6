import { sql } from 'kysely';
import { Batcher } from '../../platform/db/batcher.js';
import type { Db, Queryable } from '../../platform/db/database.js';

export interface SessionRow {
  id: string;
  org_id: string;
  user_id: string;
  transport: 'cookie' | 'bearer';
  stage: 'active' | 'mfa_required' | 'mfa_enrollment_required';
  idle_timeout_s: number;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  role: 'admin' | 'provider' | 'staff' | 'compliance' | 'patient';
  status: 'active' | 'deactivated';
}

export class AuthStore {
  /** Every request looks up its session: concurrent lookups share one query (always fresh, never cached). */
  private readonly sessionLookups = new Batcher<Buffer, SessionRow | undefined>((hashes) => this.sessionsByTokenHashes(hashes), { maxBatch: 256, maxInFlight: 1 });

  constructor(private readonly db: Db) {}

  sessionByTokenHash(tokenHash: Buffer): Promise<SessionRow | undefined> {
    return this.sessionLookups.submit(tokenHash);
  }

  private async sessionsByTokenHashes(hashes: Buffer[]): Promise<(SessionRow | undefined)[]> {
    const rows = await this.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.token_hash', 's.id', 's.org_id', 's.user_id', 's.transport', 's.stage', 's.idle_timeout_s', 's.last_seen_at', 's.expires_at', 's.revoked_at', 'u.role', 'u.status'])
      .where('s.token_hash', '=', sql<Buffer>`ANY(${hashes}::bytea[])`)
      .execute();
    const byHash = new Map(rows.map(({ token_hash, ...row }) => [token_hash.toString('hex'), row as SessionRow]));
    return hashes.map((h) => byHash.get(h.toString('hex')));
  }

  /** One session by id; concurrent lookups (frames on many sockets) share one query, like token lookups. */
  sessionById(id: string): Promise<SessionRow | undefined> {
    return this.idLookups.submit(id);
  }

  private readonly idLookups = new Batcher<string, SessionRow | undefined>((ids) => this.sessionsById(ids), { maxBatch: 256, maxInFlight: 1 });

  /** Sessions by id (for event sockets, which hold a session id, not its token), in the order asked. */
  async sessionsById(ids: string[]): Promise<(SessionRow | undefined)[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['s.id', 's.org_id', 's.user_id', 's.transport', 's.stage', 's.idle_timeout_s', 's.last_seen_at', 's.expires_at', 's.revoked_at', 'u.role', 'u.status'])
      .where('s.id', '=', sql<string>`ANY(${ids}::uuid[])`)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r as SessionRow]));
    return ids.map((id) => byId.get(id));
  }

  async touch(sessionId: string, at: Date): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
  }

  async createSession(
    tx: Queryable,
    s: { id: string; orgId: string; userId: string; tokenHash: Buffer; transport: 'cookie' | 'bearer'; stage: SessionRow['stage']; idleTimeoutS: number; expiresAt: Date },
  ): Promise<void> {
    await tx
      .insertInto('sessions')
      .values({ id: s.id, org_id: s.orgId, user_id: s.userId, token_hash: s.tokenHash, transport: s.transport, stage: s.stage, idle_timeout_s: s.idleTimeoutS, expires_at: s.expiresAt })
      .execute();
  }

  async setStage(tx: Queryable, sessionId: string, stage: SessionRow['stage']): Promise<void> {
    await tx.updateTable('sessions').set({ stage }).where('id', '=', sessionId).execute();
  }

  async revoke(tx: Queryable, sessionId: string, reason: string): Promise<void> {
    await tx.updateTable('sessions').set({ revoked_at: sql`now()`, revoked_reason: reason }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
  }

  /** Ends every session of a user (optionally but one); returns how many ended. */
  async revokeAllForUser(tx: Queryable, userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    let q = tx.updateTable('sessions').set({ revoked_at: sql`now()`, revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null);
    if (exceptSessionId) q = q.where('id', '<>', exceptSessionId);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Failures counted under `key` within the current window. */
  async failures(key: string, windowSeconds: number): Promise<number> {
    const row = await this.db
      .selectFrom('auth_throttle')
      .select('failures')
      .where('key', '=', key)
      .where('window_started_at', '>', sql<Date>`now() - make_interval(secs => ${windowSeconds})`)
      .executeTakeFirst();
    return row?.failures ?? 0;
  }

  async addFailure(key: string, windowSeconds: number): Promise<void> {
    await sql`
      INSERT INTO auth_throttle (key, failures, window_started_at) VALUES (${key}, 1, now())
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN auth_throttle.window_started_at > now() - make_interval(secs => ${windowSeconds})
                        THEN auth_throttle.failures + 1 ELSE 1 END,
        window_started_at = CASE WHEN auth_throttle.window_started_at > now() - make_interval(secs => ${windowSeconds})
                        THEN auth_throttle.window_started_at ELSE now() END,
        updated_at = now()`.execute(this.db);
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.deleteFrom('auth_throttle').where('key', '=', key).execute();
  }
}
