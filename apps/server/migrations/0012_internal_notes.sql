-- Internal notes, @mentions and consults (docs/decisions/0019).
--
-- An internal note is a message of a patient thread that only providers and staff see: `visibility = 'internal'`.
-- Every message of an internal staff thread is internal too, so one column answers "may a patient ever see this"
-- wherever messages are read, counted, searched or delivered.

ALTER TABLE messages ADD COLUMN visibility text NOT NULL DEFAULT 'patient' CHECK (visibility IN ('patient', 'internal'));
UPDATE messages m SET visibility = 'internal' FROM threads t WHERE t.id = m.thread_id AND t.kind = 'internal';

-- What a patient sees of a thread's activity: the newest message they may see. `last_message_at` (every message,
-- notes included) stays the staff view; a note must not move the thread up in the patient's list.
ALTER TABLE threads ADD COLUMN patient_last_message_at timestamptz;
UPDATE threads SET patient_last_message_at = last_message_at WHERE kind = 'patient';

-- A consult: an internal thread about a patient thread. The link grants nothing: access to each thread is decided
-- by its own rules (care team for the patient thread, participants for the consult).
ALTER TABLE threads ADD COLUMN linked_thread_id uuid REFERENCES threads(id);
ALTER TABLE threads ADD CONSTRAINT threads_link_is_consult CHECK (linked_thread_id IS NULL OR kind = 'internal');
CREATE INDEX threads_linked ON threads (linked_thread_id) WHERE linked_thread_id IS NOT NULL;

-- Live events about internal messages (and mentions) go to providers and staff only, whoever else sees the thread.
ALTER TABLE events ADD COLUMN staff_only boolean NOT NULL DEFAULT false;

-- Who was mentioned in which internal message; written in the statement that stores the message. `done_at`: the
-- mentioned user marked it done. Ids only: the text stays in message_versions, encrypted.
CREATE TABLE message_mentions (
  id            uuid PRIMARY KEY,
  message_id    uuid NOT NULL REFERENCES messages(id),
  org_id        uuid NOT NULL REFERENCES organizations(id),
  thread_id     uuid NOT NULL REFERENCES threads(id),
  user_id       uuid NOT NULL REFERENCES users(id),
  mentioned_by  uuid NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL,
  done_at       timestamptz,
  UNIQUE (message_id, user_id)
);
CREATE INDEX message_mentions_user ON message_mentions (user_id, created_at DESC, id DESC);
CREATE INDEX message_mentions_open ON message_mentions (user_id, created_at DESC, id DESC) WHERE done_at IS NULL;
