import type { Insertable, Updateable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { UsersTable } from '../../platform/db/schema.js';
import type { Role } from '@haven/api';

/** People: every user but the organization's automatic sender (role 'system', see `systemSender`), which is never looked up as a person. */
type Person = { role: Role };

export class UserStore {
  constructor(private readonly db: Db) {}

  async insert(tx: Queryable, row: Insertable<UsersTable>): Promise<void> {
    await tx.insertInto('users').values(row).execute();
  }

  byId(orgId: string, id: string, tx: Queryable = this.db) {
    return tx.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', '=', id).where('role', '<>', 'system').$narrowType<Person>().executeTakeFirst();
  }

  byEmail(orgId: string, emailBidx: Buffer) {
    return this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('email_bidx', '=', emailBidx).where('role', '<>', 'system').$narrowType<Person>().executeTakeFirst();
  }

  staff(orgId: string) {
    return this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('role', '<>', 'patient').where('role', '<>', 'system').$narrowType<Person>().orderBy('created_at').execute();
  }

  byIds(orgId: string, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', 'in', ids).where('role', '<>', 'system').$narrowType<Person>().execute();
  }

  /** The organization's automatic sender (created once; it has no password and never appears as staff). */
  async systemSender(tx: Queryable, orgId: string): Promise<string | undefined> {
    const row = await tx.selectFrom('users').select('id').where('org_id', '=', orgId).where('role', '=', 'system').executeTakeFirst();
    return row?.id;
  }

  async update(tx: Queryable, orgId: string, id: string, set: Updateable<UsersTable>): Promise<void> {
    await tx.updateTable('users').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
  }
}
