-- A scheduled message whose patient was archived (or left the soft launch) before its time fails with its own reason
-- at once, instead of being retried as if the failure were transient.
ALTER TABLE scheduled_messages DROP CONSTRAINT scheduled_messages_failure_reason_check;
ALTER TABLE scheduled_messages ADD CONSTRAINT scheduled_messages_failure_reason_check
  CHECK (failure_reason IN ('author_inactive', 'access_revoked', 'id_conflict', 'messaging_closed', 'send_error'));
