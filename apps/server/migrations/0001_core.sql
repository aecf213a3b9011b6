-- Haven core schema. Runs on PostgreSQL 15+ (Debian 15 and embedded 18).
-- Columns ending in _ct hold AES-256-GCM ciphertext; _bidx hold keyed HMAC blind indexes.

CREATE TABLE organizations (
  id           uuid PRIMARY KEY,
  slug         text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name         text NOT NULL,
  settings     jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Organization keys, wrapped by the master key (AES-256-GCM, AAD = org id + version).
CREATE TABLE org_keys (
  org_id       uuid NOT NULL REFERENCES organizations(id),
  version      integer NOT NULL,
  wrapped      bytea NOT NULL,
  master_key_id text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, version)
);

-- Data keys, wrapped by an organization key version. One per patient record (crypto-shredding unit),
-- one for the organization's non-patient data, one for the blind index.
CREATE TABLE data_keys (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  purpose      text NOT NULL CHECK (purpose IN ('patient', 'organization', 'blind_index')),
  patient_id   uuid,
  org_key_version integer NOT NULL,
  wrapped      bytea,
  created_at   timestamptz NOT NULL DEFAULT now(),
  shredded_at  timestamptz,
  FOREIGN KEY (org_id, org_key_version) REFERENCES org_keys(org_id, version)
);
CREATE UNIQUE INDEX data_keys_patient ON data_keys (org_id, patient_id) WHERE purpose = 'patient';
CREATE UNIQUE INDEX data_keys_org ON data_keys (org_id, purpose) WHERE purpose <> 'patient';

CREATE TABLE departments (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  name         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE users (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  role         text NOT NULL CHECK (role IN ('admin', 'provider', 'staff', 'compliance', 'patient')),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  key_id       uuid NOT NULL REFERENCES data_keys(id),
  email_bidx   bytea NOT NULL,
  email_ct     bytea NOT NULL,
  name_ct      bytea NOT NULL,
  phone_ct     bytea,
  dob_ct       bytea,
  mrn_ct       bytea,
  mrn_bidx     bytea,
  department_id uuid REFERENCES departments(id),
  password_hash text,
  password_changed_at timestamptz,
  totp_secret_ct bytea,
  totp_pending_ct bytea,
  totp_enabled boolean NOT NULL DEFAULT false,
  totp_last_step bigint,
  created_at   timestamptz NOT NULL DEFAULT now(),
  deactivated_at timestamptz,
  UNIQUE (org_id, email_bidx)
);
CREATE INDEX users_org_role ON users (org_id, role);
CREATE UNIQUE INDEX users_mrn ON users (org_id, mrn_bidx) WHERE mrn_bidx IS NOT NULL;

CREATE TABLE care_teams (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  department_id uuid REFERENCES departments(id),
  name         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE care_team_members (
  care_team_id uuid NOT NULL REFERENCES care_teams(id),
  user_id      uuid NOT NULL REFERENCES users(id),
  org_id       uuid NOT NULL REFERENCES organizations(id),
  PRIMARY KEY (care_team_id, user_id)
);
CREATE INDEX care_team_members_user ON care_team_members (user_id);

CREATE TABLE patient_care_teams (
  patient_id   uuid NOT NULL REFERENCES users(id),
  care_team_id uuid NOT NULL REFERENCES care_teams(id),
  org_id       uuid NOT NULL REFERENCES organizations(id),
  PRIMARY KEY (patient_id, care_team_id)
);
CREATE INDEX patient_care_teams_team ON patient_care_teams (care_team_id);

CREATE TABLE sessions (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  user_id      uuid NOT NULL REFERENCES users(id),
  token_hash   bytea NOT NULL UNIQUE,
  transport    text NOT NULL CHECK (transport IN ('cookie', 'bearer')),
  stage        text NOT NULL CHECK (stage IN ('active', 'mfa_required', 'mfa_enrollment_required')),
  idle_timeout_s integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Failed sign-in counters: per account (untrusted clients), per trusted device, per address.
CREATE TABLE auth_throttle (
  key          text PRIMARY KEY,
  failures     integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE threads (
  id           uuid PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  kind         text NOT NULL CHECK (kind IN ('patient', 'internal')),
  patient_id   uuid REFERENCES users(id),
  key_id       uuid NOT NULL REFERENCES data_keys(id),
  subject_ct   bytea NOT NULL,
  topic        text,
  created_by   uuid NOT NULL REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_message_at timestamptz,
  CHECK ((kind = 'patient') = (patient_id IS NOT NULL))
);
CREATE INDEX threads_patient ON threads (org_id, patient_id, last_message_at DESC);
CREATE INDEX threads_org_recent ON threads (org_id, last_message_at DESC NULLS LAST, id);

CREATE TABLE thread_participants (
  thread_id    uuid NOT NULL REFERENCES threads(id),
  user_id      uuid NOT NULL REFERENCES users(id),
  org_id       uuid NOT NULL REFERENCES organizations(id),
  PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX thread_participants_user ON thread_participants (user_id);

CREATE TABLE messages (
  id           uuid PRIMARY KEY,
  seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  thread_id    uuid NOT NULL REFERENCES threads(id),
  sender_id    uuid NOT NULL REFERENCES users(id),
  sender_role  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  current_version integer NOT NULL DEFAULT 1,
  edited_at    timestamptz,
  retracted_at timestamptz,
  retracted_by uuid REFERENCES users(id),
  retract_reason_ct bytea
);
CREATE INDEX messages_thread_seq ON messages (thread_id, seq);

-- Every version of every message body; version 1 is the original. Never updated, never deleted by the API.
CREATE TABLE message_versions (
  message_id   uuid NOT NULL REFERENCES messages(id),
  version      integer NOT NULL,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  body_ct      bytea NOT NULL,
  content_hash bytea NOT NULL,
  created_by   uuid NOT NULL REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, version)
);

CREATE TABLE message_receipts (
  message_id   uuid NOT NULL REFERENCES messages(id),
  user_id      uuid NOT NULL REFERENCES users(id),
  org_id       uuid NOT NULL REFERENCES organizations(id),
  delivered_at timestamptz NOT NULL,
  read_at      timestamptz,
  PRIMARY KEY (message_id, user_id)
);

-- Blind index: truncated HMACs of the distinct normalized words of a message's current version, keyed per
-- organization; one row per message, searched by array containment through a GIN index.
CREATE TABLE message_search (
  message_id   uuid PRIMARY KEY REFERENCES messages(id),
  org_id       uuid NOT NULL,
  thread_id    uuid NOT NULL,
  tokens       bytea[] NOT NULL
);
CREATE INDEX message_search_tokens ON message_search USING gin (tokens);

-- Audit: every event is inserted in the transaction of the change it records (no lock). A sealer then extends the
-- organization's hash chain: it assigns the next position (seq) and the chain hash, once, under the row lock of
-- audit_heads. Verification, listing and checkpoints seal first. See docs/decisions/0003.
CREATE TABLE audit_heads (
  org_id       uuid PRIMARY KEY REFERENCES organizations(id),
  seq          bigint NOT NULL,
  hash         bytea NOT NULL
);

CREATE TABLE audit_events (
  pos          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations(id),
  seq          bigint,
  id           uuid NOT NULL,
  at           timestamptz NOT NULL,
  actor_id     uuid,
  actor_role   text,
  action       text NOT NULL,
  resource_type text NOT NULL,
  resource_id  text,
  patient_id   uuid,
  address      text,
  outcome      text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  details      jsonb NOT NULL DEFAULT '{}',
  digest       bytea NOT NULL,
  hash         bytea,
  CHECK ((seq IS NULL) = (hash IS NULL))
);
CREATE UNIQUE INDEX audit_events_chain ON audit_events (org_id, seq);
CREATE INDEX audit_events_pending ON audit_events (org_id, pos) WHERE seq IS NULL;
CREATE INDEX audit_events_org ON audit_events (org_id, pos);
CREATE INDEX audit_events_patient ON audit_events (org_id, patient_id, pos);
CREATE INDEX audit_events_actor ON audit_events (org_id, actor_id, pos);
CREATE INDEX audit_events_action ON audit_events (org_id, action, pos);
CREATE INDEX audit_events_at ON audit_events (org_id, at);

CREATE FUNCTION haven_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

-- Append-only, except the one-time sealing write of seq and hash on an event that has none yet.
CREATE FUNCTION haven_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.hash IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
     AND (OLD.pos, OLD.org_id, OLD.id, OLD.at, OLD.actor_id, OLD.actor_role, OLD.action, OLD.resource_type,
          OLD.resource_id, OLD.patient_id, OLD.address, OLD.outcome, OLD.details, OLD.digest)
         IS NOT DISTINCT FROM
         (NEW.pos, NEW.org_id, NEW.id, NEW.at, NEW.actor_id, NEW.actor_role, NEW.action, NEW.resource_type,
          NEW.resource_id, NEW.patient_id, NEW.address, NEW.outcome, NEW.details, NEW.digest) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION haven_audit_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION haven_refuse_change();

CREATE TABLE signing_keys (
  id           text PRIMARY KEY,
  public_key_pem text NOT NULL,
  private_key_ct bytea NOT NULL,
  master_key_id text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_checkpoints (
  org_id       uuid NOT NULL REFERENCES organizations(id),
  seq          bigint NOT NULL,
  hash         bytea NOT NULL,
  signed_at    timestamptz NOT NULL,
  key_id       text NOT NULL REFERENCES signing_keys(id),
  signature    bytea NOT NULL,
  PRIMARY KEY (org_id, seq)
);
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION haven_refuse_change();
