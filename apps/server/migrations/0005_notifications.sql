-- Notifications (issue #3): per-user preferences and consent, Web Push subscriptions, the per message and recipient
-- record that makes scheduling idempotent, sent notifications and every delivery attempt. Contact data (e-mail
-- override, SMS number, push endpoints and keys) is AES-256-GCM ciphertext under the user's record key; nothing here
-- holds message text, subjects, topics or names. The jobs themselves live in graphile-worker's own schema
-- (graphile_worker), installed by the server at start. See docs/decisions/0011 and 0012.

CREATE TABLE notification_preferences (
  user_id        uuid PRIMARY KEY REFERENCES users(id),
  org_id         uuid NOT NULL REFERENCES organizations(id),
  push_enabled   boolean NOT NULL DEFAULT true,
  email_enabled  boolean NOT NULL DEFAULT true,
  sms_enabled    boolean NOT NULL DEFAULT true,
  -- Current consent (the history is notification_consents). E-mail and SMS are used only when given.
  email_consent  boolean NOT NULL DEFAULT false,
  sms_consent    boolean NOT NULL DEFAULT false,
  email_ct       bytea,            -- notification address; NULL: the account's e-mail
  sms_phone_ct   bytea,            -- E.164 number for SMS
  sms_phone_bidx bytea,            -- keyed HMAC of that number: finds the user when the provider relays a STOP
  quiet_start    smallint CHECK (quiet_start BETWEEN 0 AND 1439),   -- minutes after local midnight
  quiet_end      smallint CHECK (quiet_end BETWEEN 0 AND 1439),
  time_zone      text NOT NULL DEFAULT 'UTC',
  batch_window_s integer NOT NULL CHECK (batch_window_s BETWEEN 0 AND 86400),
  -- Staff: which patient threads notify them (assignment and urgency come with the workflow issue).
  notify_assigned  boolean NOT NULL DEFAULT true,
  notify_urgent    boolean NOT NULL DEFAULT true,
  notify_care_team boolean NOT NULL DEFAULT true,
  last_notified_at timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
  CHECK ((sms_phone_ct IS NULL) = (sms_phone_bidx IS NULL))
);
CREATE INDEX notification_preferences_phone ON notification_preferences (org_id, sms_phone_bidx) WHERE sms_phone_bidx IS NOT NULL;

-- Every consent change, given or withdrawn, with its time and source. Append-only.
CREATE TABLE notification_consents (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
  given       boolean NOT NULL,
  source      text NOT NULL CHECK (source IN ('user', 'sms_reply')),
  actor_id    uuid REFERENCES users(id),
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_consents_user ON notification_consents (user_id, at);
CREATE TRIGGER notification_consents_append_only BEFORE UPDATE OR DELETE ON notification_consents
  FOR EACH ROW EXECUTE FUNCTION haven_refuse_change();

-- One row per browser/device. The subscription (endpoint URL and its keys) is encrypted; the keyed HMAC of the
-- endpoint makes a re-subscription of the same device replace the old row.
CREATE TABLE push_subscriptions (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations(id),
  user_id         uuid NOT NULL REFERENCES users(id),
  key_id          uuid NOT NULL REFERENCES data_keys(id),
  subscription_ct bytea NOT NULL,
  endpoint_bidx   bytea NOT NULL,
  endpoint_origin text NOT NULL,   -- e.g. https://fcm.googleapis.com: which push service, nothing about the person
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_success_at timestamptz,
  UNIQUE (org_id, endpoint_bidx)
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- The VAPID key pair that signs Web Push requests: one per installation, the private key wrapped by the master key.
CREATE TABLE vapid_keys (
  id             text PRIMARY KEY,
  public_key     text NOT NULL,
  private_key_ct bytea NOT NULL,
  master_key_id  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per message and recipient: scheduling a message twice (a replayed outbox event) finds the row and does
-- nothing. `pending` rows wait for the recipient's next notification; the rest say what happened to them.
CREATE TABLE notification_items (
  message_id      uuid NOT NULL,
  user_id         uuid NOT NULL REFERENCES users(id),
  org_id          uuid NOT NULL REFERENCES organizations(id),
  thread_id       uuid NOT NULL,
  message_at      timestamptz NOT NULL,
  due_at          timestamptz NOT NULL,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'notified', 'skipped')),
  reason          text,            -- skipped: read, connected, inactive, no_channel
  notification_id uuid,
  PRIMARY KEY (message_id, user_id)
);
CREATE INDEX notification_items_pending ON notification_items (user_id, due_at) WHERE state = 'pending';

-- A notification sent to one user (covering one or more messages), and each delivery attempt on each channel.
CREATE TABLE notifications (
  id          uuid PRIMARY KEY,
  org_id      uuid NOT NULL REFERENCES organizations(id),
  user_id     uuid NOT NULL REFERENCES users(id),
  messages    integer NOT NULL,
  channels    text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

CREATE TABLE notification_attempts (
  id              uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations(id),
  notification_id uuid NOT NULL REFERENCES notifications(id),
  user_id         uuid NOT NULL REFERENCES users(id),
  channel         text NOT NULL CHECK (channel IN ('push', 'email', 'sms')),
  target_id       uuid,            -- the push subscription (which may since have been removed)
  attempt         smallint NOT NULL CHECK (attempt >= 1),
  status          text NOT NULL CHECK (status IN ('sent', 'failed', 'retrying')),
  next_retry_at   timestamptz,
  response_code   integer,
  error_class     text,            -- a short code (http_503, timeout, subscription_gone); never a provider message
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'retrying') = (next_retry_at IS NOT NULL))
);
CREATE UNIQUE INDEX notification_attempts_once ON notification_attempts (notification_id, channel, coalesce(target_id, '00000000-0000-0000-0000-000000000000'::uuid), attempt);
CREATE INDEX notification_attempts_org ON notification_attempts (org_id, created_at DESC, id DESC);
CREATE INDEX notification_attempts_user ON notification_attempts (org_id, user_id, created_at DESC);
