import { sql, type Selectable } from 'kysely';
import type { Db, Queryable } from '../../platform/db/database.js';
import type { ResourcesTable, ResourceSharesTable } from '../../platform/db/schema.js';
import type { SealedFile } from '../../platform/files/secure-files.js';

export type ResourceRow = Selectable<ResourcesTable>;
export type ShareRow = Selectable<ResourceSharesTable>;

export interface ResourceInsert {
  id: string;
  orgId: string;
  kind: 'file' | 'link';
  title: string;
  description: string;
  tags: string[];
  searchText: string;
  url: string | null;
  createdBy: string;
  at: Date;
}

/** A library file's columns: the sealed file, under its data key and file id. */
export interface ResourceFileColumns extends SealedFile {
  keyId: string;
  fileId: string;
}

/** LIKE pattern for a word anywhere, with LIKE's own characters taken literally. */
const containing = (word: string): string => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The library's position of a resource in whole microseconds (PostgreSQL's precision): no two cursors collide. */
const createdMicros = sql<string>`(extract(epoch from created_at) * 1000000)::bigint`;

export class ResourceStore {
  constructor(private readonly db: Db) {}

  async insert(tx: Queryable, r: ResourceInsert): Promise<void> {
    await tx
      .insertInto('resources')
      .values({
        id: r.id,
        org_id: r.orgId,
        kind: r.kind,
        title: r.title,
        description: r.description,
        tags: r.tags,
        search_text: r.searchText,
        url: r.url,
        created_by: r.createdBy,
        created_at: r.at,
        updated_by: r.createdBy,
        updated_at: r.at,
      })
      .execute();
  }

  /** A resource of the organization's library (archived ones are gone from it). */
  byId(orgId: string, id: string, tx: Queryable = this.db, lock = false): Promise<ResourceRow | undefined> {
    let q = tx.selectFrom('resources').selectAll().where('org_id', '=', orgId).where('id', '=', id).where('archived_at', 'is', null);
    if (lock) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  /**
   * A page of the library, newest first: resources that can be shared (links, and files whose bytes arrived), every
   * word somewhere in the folded title/description/tags, every tag present.
   */
  list(q: { orgId: string; words: string[]; tags: string[]; kind?: 'file' | 'link'; after?: { micros: string; id: string }; limit: number }) {
    let query = this.db
      .selectFrom('resources')
      .selectAll()
      .select(createdMicros.as('created_us'))
      .where('org_id', '=', q.orgId)
      .where('archived_at', 'is', null)
      .where((eb) => eb.or([eb('kind', '=', 'link'), eb('storage_key', 'is not', null)]));
    for (const word of q.words) query = query.where(sql<boolean>`search_text LIKE ${containing(word)}`);
    if (q.tags.length > 0) query = query.where(sql<boolean>`tags @> ${q.tags}::text[]`);
    if (q.kind) query = query.where('kind', '=', q.kind);
    if (q.after) query = query.where(sql<boolean>`(${createdMicros}, id) < (${q.after.micros}::bigint, ${q.after.id}::uuid)`);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
  }

  async update(tx: Queryable, orgId: string, id: string, patch: { title: string; description: string; tags: string[]; searchText: string; url: string | null }, by: string, at: Date): Promise<void> {
    await tx
      .updateTable('resources')
      .set({ title: patch.title, description: patch.description, tags: patch.tags, search_text: patch.searchText, url: patch.url, updated_by: by, updated_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  async setFile(tx: Queryable, orgId: string, id: string, f: ResourceFileColumns, by: string, at: Date): Promise<void> {
    await tx
      .updateTable('resources')
      .set({
        key_id: f.keyId,
        file_id: f.fileId,
        file_name: f.fileName,
        content_type: f.contentType,
        size: f.size,
        content_hash: f.contentHash,
        storage_key: f.storageKey,
        preview_storage_key: f.previewStorageKey,
        updated_by: by,
        updated_at: at,
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .execute();
  }

  async archive(tx: Queryable, orgId: string, id: string, by: string, at: Date): Promise<void> {
    await tx.updateTable('resources').set({ archived_by: by, archived_at: at }).where('org_id', '=', orgId).where('id', '=', id).where('archived_at', 'is', null).execute();
  }

  // ---- shares -------------------------------------------------------------------------------------------------

  /** The share made under a message id in the organization. */
  shareOf(orgId: string, messageId: string): Promise<ShareRow | undefined> {
    return this.db.selectFrom('resource_shares').selectAll().where('org_id', '=', orgId).where('message_id', '=', messageId).executeTakeFirst();
  }

  /** Claims a message id for a share; false when it was claimed already (a retry, or a clash; ids are global). */
  async claimShare(s: { messageId: string; orgId: string; threadId: string; sharedBy: string; requestHash: Buffer }): Promise<boolean> {
    const res = await this.db
      .insertInto('resource_shares')
      .values({ message_id: s.messageId, org_id: s.orgId, thread_id: s.threadId, shared_by: s.sharedBy, request_hash: s.requestHash, created_at: new Date() })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .returning('message_id')
      .executeTakeFirst();
    return res !== undefined;
  }
}
