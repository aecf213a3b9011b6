-- The resource library (issue #6): an organization's shareable practice materials, and what sharing one leaves.
-- See docs/decisions/0009-resource-library.md.

-- Resources are practice materials, not patient data: title, description, tags and link are plaintext so the
-- library can be searched in SQL. A file resource's bytes (and image preview) live in object storage, encrypted
-- (chunked AES-256-GCM under the organization's data key, bound to the resource and to this file version).
CREATE TABLE resources (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  kind           text NOT NULL CHECK (kind IN ('file', 'link')),
  title          text NOT NULL,
  description    text NOT NULL DEFAULT '',
  tags           text[] NOT NULL DEFAULT '{}',
  -- title, description and tags lower-cased and accent-folded by the server: what searches match (LIKE), the same
  -- whatever the database's locale.
  search_text    text NOT NULL,
  url            text,
  key_id         uuid REFERENCES data_keys(id),
  file_id        uuid,
  file_name      text,
  content_type   text,
  size           bigint CHECK (size >= 0),
  content_hash   bytea,
  storage_key    text,
  preview_storage_key text,
  created_by     uuid NOT NULL REFERENCES users(id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_by     uuid NOT NULL REFERENCES users(id),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  archived_by    uuid REFERENCES users(id),
  archived_at    timestamptz,
  CHECK ((kind = 'link' AND url IS NOT NULL AND storage_key IS NULL) OR (kind = 'file' AND url IS NULL)),
  CHECK (storage_key IS NULL OR (key_id IS NOT NULL AND file_id IS NOT NULL AND file_name IS NOT NULL AND content_type IS NOT NULL AND size IS NOT NULL AND content_hash IS NOT NULL))
);
CREATE INDEX resources_library ON resources (org_id, created_at DESC, id DESC) WHERE archived_at IS NULL;
CREATE INDEX resources_tags ON resources USING gin (tags) WHERE archived_at IS NULL;

-- One row per share, keyed by the client's message id: what makes a retried share idempotent. It names no
-- resource: request_hash is an HMAC under the thread's data key of (thread, resource, text), so the row tells a
-- database reader that a message was a share, not what was shared. The message itself carries the copy or link.
CREATE TABLE resource_shares (
  message_id     uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  thread_id      uuid NOT NULL REFERENCES threads(id),
  shared_by      uuid NOT NULL REFERENCES users(id),
  request_hash   bytea NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- A link shared from the library travels with its message: {url, title} as JSON, AES-256-GCM under the thread's
-- data key, associated data message|org|thread|message|link. Null for every other message.
ALTER TABLE messages ADD COLUMN link_ct bytea;

-- Set once the orphan sweep (or the upload itself) has seen the attachment's message: such attachments are never
-- looked at again by the sweep. Unconfirmed uploads older than ATTACHMENT_ORPHAN_HOURS are purged.
ALTER TABLE attachments ADD COLUMN link_confirmed_at timestamptz;
CREATE INDEX attachments_unconfirmed ON attachments (created_at, id) WHERE link_confirmed_at IS NULL;
