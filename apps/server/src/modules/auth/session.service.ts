import type { Queryable } from '../../platform/db/database.js';
import type { AuthStore } from './auth.store.js';

/** Ending sessions, for modules that need it (deactivation, password change) without the rest of auth. */
export class SessionService {
  constructor(private readonly store: AuthStore) {}

  revokeAllForUser(tx: Queryable, userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    return this.store.revokeAllForUser(tx, userId, reason, exceptSessionId);
  }
}
