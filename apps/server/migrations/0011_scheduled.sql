-- Scheduled send, follow-up reminders and clinically relevant chart notes. See docs/decisions/0018-scheduled-send-follow-ups-chart-notes.md.
-- Text is AES-256-GCM ciphertext under the thread's data key (the patient's record key; the organization key for
-- internal threads), bound to its row; nothing here holds message text, excerpts or comments in plaintext.

-- A message a provider or staff member wrote now and Haven sends later, as its author, through the ordinary send
-- path. The id is the client's message id: the sent message gets exactly this id (a retried job never duplicates).
CREATE TABLE scheduled_messages (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  thread_id      uuid NOT NULL REFERENCES threads(id),
  author_id      uuid NOT NULL REFERENCES users(id),
  key_id         uuid NOT NULL REFERENCES data_keys(id),
  -- The text, AAD scheduled_message|org|thread|id|version; version counts edits, so an old ciphertext put back fails.
  body_ct        bytea NOT NULL,
  version        integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  -- HMAC under the thread's key of the create request (thread, text, time): a retried create is recognised
  -- without storing anything readable.
  request_hash   bytea NOT NULL,
  send_at        timestamptz NOT NULL,
  state          text NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'sending', 'sent', 'cancelled', 'failed')),
  failure_reason text CHECK (failure_reason IN ('author_inactive', 'access_revoked', 'id_conflict', 'send_error')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  sent_at        timestamptz,
  cancelled_at   timestamptz,
  cancelled_by   uuid REFERENCES users(id),
  CHECK ((state = 'failed') = (failure_reason IS NOT NULL)),
  CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
  CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL))
);
CREATE INDEX scheduled_messages_thread ON scheduled_messages (thread_id, send_at, id);
CREATE INDEX scheduled_messages_org ON scheduled_messages (org_id, send_at, id);
CREATE INDEX scheduled_messages_author ON scheduled_messages (author_id, send_at, id);

-- "If the patient has not answered in N days, then remind me / nudge the patient." No text at all: ids, an action
-- and times. Settled when its job runs: satisfied (the patient wrote after it was set), fired, or failed.
CREATE TABLE follow_ups (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  thread_id    uuid NOT NULL REFERENCES threads(id),
  patient_id   uuid NOT NULL REFERENCES users(id),
  created_by   uuid NOT NULL REFERENCES users(id),
  action       text NOT NULL CHECK (action IN ('remind_me', 'nudge_patient')),
  after_days   smallint NOT NULL CHECK (after_days BETWEEN 1 AND 90),
  due_at       timestamptz NOT NULL,
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'satisfied', 'fired', 'cancelled', 'failed')),
  -- failed: creator_inactive, access_revoked, patient_inactive
  reason       text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  settled_at   timestamptz,
  settled_by   uuid REFERENCES users(id),
  CHECK ((state = 'pending') = (settled_at IS NULL))
);
CREATE INDEX follow_ups_thread ON follow_ups (thread_id, created_at DESC, id DESC);

-- A message, or an exact excerpt of it, that staff marked as clinically relevant: an entry of the patient's chart
-- timeline with its provenance (who, when, which message and which version of its text). The excerpt is a copy
-- taken when it was marked (AAD chart_note|org|patient|id|excerpt), the comment likewise (…|comment), both under
-- the patient's record key. Un-marking keeps the row (removed_at, removed_by).
CREATE TABLE chart_notes (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations(id),
  patient_id      uuid NOT NULL REFERENCES users(id),
  thread_id       uuid NOT NULL REFERENCES threads(id),
  message_id      uuid NOT NULL REFERENCES messages(id),
  message_version integer NOT NULL CHECK (message_version >= 1),
  key_id          uuid NOT NULL REFERENCES data_keys(id),
  excerpt_ct      bytea NOT NULL,
  whole_message   boolean NOT NULL,
  comment_ct      bytea,
  request_hash    bytea NOT NULL,
  created_by      uuid NOT NULL REFERENCES users(id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  removed_at      timestamptz,
  removed_by      uuid REFERENCES users(id),
  CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
CREATE INDEX chart_notes_timeline ON chart_notes (patient_id, created_at DESC, id DESC);
CREATE INDEX chart_notes_message ON chart_notes (message_id);
