-- Patient cohorts (tags), soft launch of messaging, archived patients and broadcasts.
-- See docs/decisions/0017-cohorts-and-broadcasts.md.

-- Archiving a patient keeps the record and its history; while archived nobody creates threads or sends messages
-- for the patient (the patient can still sign in and read). Lists hide archived patients unless asked for them.
ALTER TABLE users ADD COLUMN archived_at timestamptz;
ALTER TABLE users ADD COLUMN archived_by uuid REFERENCES users(id);
ALTER TABLE users ADD CONSTRAINT users_archived_patients CHECK (archived_at IS NULL OR role = 'patient');

-- An organization's tag vocabulary. A tag can name a condition ("diabetes-program"): its text is AES-256-GCM under
-- the organization's data key (AAD tag|org|bidx), and rows are found by `bidx`, a keyed HMAC (the organization's
-- blind-index key) of the normalized tag. A database reader learns which patients share a tag, never which tag.
CREATE TABLE org_tags (
  org_id      uuid NOT NULL REFERENCES organizations(id),
  bidx        bytea NOT NULL,
  key_id      uuid NOT NULL REFERENCES data_keys(id),
  tag_ct      bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, bidx)
);

CREATE TABLE patient_tags (
  patient_id  uuid NOT NULL REFERENCES users(id),
  org_id      uuid NOT NULL REFERENCES organizations(id),
  tag_bidx    bytea NOT NULL,
  created_by  uuid NOT NULL REFERENCES users(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (patient_id, tag_bidx),
  FOREIGN KEY (org_id, tag_bidx) REFERENCES org_tags (org_id, bidx)
);
CREATE INDEX patient_tags_tag ON patient_tags (org_id, tag_bidx);

-- Soft launch: who may message (one row per organization; no row: everyone). The cohort tags are sensitive like
-- the tags themselves: the list is encrypted (tags_ct, organization key, AAD messaging_rollout|org|tags) and matched
-- through its blind indexes (tag_bidx). The providers and the alternative contact text are not patient data.
CREATE TABLE messaging_rollouts (
  org_id               uuid PRIMARY KEY REFERENCES organizations(id),
  mode                 text NOT NULL CHECK (mode IN ('everyone', 'pilot')),
  key_id               uuid NOT NULL REFERENCES data_keys(id),
  tags_ct              bytea NOT NULL,
  tag_bidx             bytea[] NOT NULL DEFAULT '{}',
  provider_ids         uuid[] NOT NULL DEFAULT '{}',
  alternative_contact  text NOT NULL DEFAULT '',
  updated_by           uuid NOT NULL REFERENCES users(id),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- A broadcast: one message to a cohort, delivered as one new thread per patient by a throttled job. Subject, body
-- and selector (which may name tags) are AES-256-GCM under the organization's data key, bound to the broadcast.
CREATE TABLE broadcasts (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations(id),
  created_by    uuid NOT NULL REFERENCES users(id),
  key_id        uuid NOT NULL REFERENCES data_keys(id),
  subject_ct    bytea NOT NULL,
  body_ct       bytea NOT NULL,
  selector_ct   bytea NOT NULL,
  topic         text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  completed_at  timestamptz,
  cancelled_at  timestamptz,
  cancelled_by  uuid REFERENCES users(id),
  -- One sending job at a time per broadcast: a run holds the lease until it ends (or it expires after a crash).
  lease_until   timestamptz
);
CREATE INDEX broadcasts_author ON broadcasts (org_id, created_by, created_at DESC, id DESC);

-- Who a broadcast goes to, fixed when it is created, and what became of each. thread_id and message_id derive from
-- (broadcast id, patient id), so a retried send finds its own thread and message instead of making new ones.
CREATE TABLE broadcast_recipients (
  broadcast_id  uuid NOT NULL REFERENCES broadcasts(id),
  patient_id    uuid NOT NULL REFERENCES users(id),
  org_id        uuid NOT NULL REFERENCES organizations(id),
  position      integer NOT NULL,
  state         text NOT NULL CHECK (state IN ('pending', 'sent', 'skipped', 'failed', 'cancelled')),
  reason        text,
  thread_id     uuid NOT NULL,
  message_id    uuid NOT NULL,
  processed_at  timestamptz,
  PRIMARY KEY (broadcast_id, patient_id),
  UNIQUE (broadcast_id, position)
);
CREATE INDEX broadcast_recipients_pending ON broadcast_recipients (broadcast_id, position) WHERE state = 'pending';
