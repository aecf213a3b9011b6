-- Working faster: message templates and quick replies, and emoji reactions on messages.
--
-- Templates are practice wording, not patient data: name and body are stored in plaintext (the variables they use,
-- such as {patient.firstName}, are filled in only when a template is rendered for a thread, and the result is never
-- stored). owner_id NULL: an organization template (admins manage, providers and staff use); else a personal
-- template of that provider or staff member (only they see it).
CREATE TABLE message_templates (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  owner_id     uuid REFERENCES users(id),
  kind         text NOT NULL CHECK (kind IN ('template', 'quick_reply')),
  name         text NOT NULL,
  body         text NOT NULL,
  -- Offered for threads of this topic; NULL: any topic.
  topic        text,
  -- Haven's default quick replies, added to an organization on its first list: which default this row is (so an
  -- organization gets each default once, also when it was archived since). NULL for templates people wrote.
  seed_key     text,
  created_by   uuid REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_by   uuid REFERENCES users(id),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  archived_by  uuid REFERENCES users(id),
  archived_at  timestamptz,
  CHECK (seed_key IS NULL OR owner_id IS NULL)
);
CREATE INDEX message_templates_scope ON message_templates (org_id, owner_id);
CREATE UNIQUE INDEX message_templates_seed ON message_templates (org_id, seed_key) WHERE seed_key IS NOT NULL;
-- One name per scope among the templates in use (an organization template and a personal one may share a name).
CREATE UNIQUE INDEX message_templates_name ON message_templates (org_id, owner_id, lower(name)) NULLS NOT DISTINCT WHERE archived_at IS NULL;

-- Emoji reactions: one row per user, message and emoji. The emoji is stored in plaintext (one validated emoji
-- grapheme; see docs/security.md), like receipts it says how someone responded, never what a message says.
CREATE TABLE message_reactions (
  message_id   uuid NOT NULL REFERENCES messages(id),
  user_id      uuid NOT NULL REFERENCES users(id),
  emoji        text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 64),
  org_id       uuid NOT NULL REFERENCES organizations(id),
  thread_id    uuid NOT NULL REFERENCES threads(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, user_id, emoji)
);
