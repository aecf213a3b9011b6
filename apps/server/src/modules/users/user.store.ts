import type { Insertable, Updateable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { UsersTable } from '../../platform/db/schema.js';

export class UserStore {
  constructor(private readonly db: Db) {}

  async insert(tx: Queryable, row: Insertable<UsersTable>): Promise<void> {
    await tx.insertInto('users').values(row).execute();
  }

  byId(orgId: string, id: string, tx: Queryable = this.db) {
    return tx.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  byEmail(orgId: string, emailBidx: Buffer) {
    return this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('email_bidx', '=', emailBidx).executeTakeFirst();
  }

  staff(orgId: string) {
    return this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('role', '<>', 'patient').orderBy('created_at').execute();
  }

  byIds(orgId: string, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', 'in', ids).execute();
  }

  async update(tx: Queryable, orgId: string, id: string, set: Updateable<UsersTable>): Promise<void> {
    await tx.updateTable('users').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
  }
}
