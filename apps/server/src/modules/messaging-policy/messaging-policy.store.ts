import type { Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { MessagingPolicyAcceptancesTable } from '../../platform/db/schema.js';

export type AcceptanceRow = Selectable<MessagingPolicyAcceptancesTable>;

/** Acceptances of the messaging policy (0021). */
export class MessagingPolicyStore {
  constructor(private readonly db: Db) {}

  /** The patient's latest acceptance and, if any, their acceptance of `version`. */
  async acceptances(orgId: string, userId: string, version: string, tx: Queryable = this.db): Promise<{ latest: AcceptanceRow | undefined; ofVersion: AcceptanceRow | undefined }> {
    const [latest, ofVersion] = await Promise.all([
      tx.selectFrom('messaging_policy_acceptances').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).orderBy('accepted_at', 'desc').limit(1).executeTakeFirst(),
      tx.selectFrom('messaging_policy_acceptances').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).where('version', '=', version).executeTakeFirst(),
    ]);
    return { latest, ofVersion };
  }

  /** Records an acceptance; false when this version was already accepted (the first one stays). */
  async insert(tx: Queryable, row: AcceptanceRow): Promise<boolean> {
    const r = await tx
      .insertInto('messaging_policy_acceptances')
      .values(row)
      .onConflict((oc) => oc.columns(['org_id', 'user_id', 'version']).doNothing())
      .returning('version')
      .executeTakeFirst();
    return r !== undefined;
  }
}
