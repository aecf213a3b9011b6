-- Attachments: files uploaded to a thread for a message id (the message may be sent before or after the upload,
-- so message_id has no foreign key). The bytes and the preview live in object storage, encrypted (chunked
-- AES-256-GCM under the thread's data key); the file name is encrypted here. See docs/decisions/0007.
CREATE TABLE attachments (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  thread_id      uuid NOT NULL REFERENCES threads(id),
  message_id     uuid NOT NULL,
  patient_id     uuid REFERENCES users(id),
  uploader_id    uuid NOT NULL REFERENCES users(id),
  key_id         uuid NOT NULL REFERENCES data_keys(id),
  file_name_ct   bytea NOT NULL,
  content_type   text NOT NULL,
  size           bigint NOT NULL CHECK (size >= 0),
  content_hash   bytea NOT NULL,
  storage_key    text,
  preview_storage_key text,
  status         text NOT NULL CHECK (status IN ('pending_scan', 'ready', 'rejected')),
  scan_attempts  integer NOT NULL DEFAULT 0,
  scan_claimed_at timestamptz,
  scanned_at     timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (status = 'rejected' OR storage_key IS NOT NULL)
);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_thread ON attachments (thread_id);
CREATE INDEX attachments_pending_scan ON attachments (created_at) WHERE status = 'pending_scan';
