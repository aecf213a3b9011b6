-- The inbox sorts by due time (threads without one last), then latest activity, then id. These indexes hold that
-- order, so a page of a view is read in order and stops after its rows instead of sorting every matching thread
-- (bench/INBOX-RESULTS.md: 100k open threads). They replace the filter-only indexes of 0007.
DROP INDEX IF EXISTS threads_inbox_state;
DROP INDEX IF EXISTS threads_inbox_assignee;
-- Views of one state (unassigned, awaiting_patient, closed).
CREATE INDEX threads_inbox_by_state ON threads
  (org_id, state, (coalesce(due_at, '9999-12-31T00:00:00Z'::timestamptz)), (coalesce(last_message_at, created_at)) DESC, id DESC)
  WHERE kind = 'patient';
-- Views over every open thread (care teams, department, urgent, overdue).
CREATE INDEX threads_inbox_open ON threads
  (org_id, (coalesce(due_at, '9999-12-31T00:00:00Z'::timestamptz)), (coalesce(last_message_at, created_at)) DESC, id DESC)
  WHERE kind = 'patient' AND state <> 'closed';
-- Mine.
CREATE INDEX threads_inbox_mine ON threads
  (assignee_id, (coalesce(due_at, '9999-12-31T00:00:00Z'::timestamptz)), (coalesce(last_message_at, created_at)) DESC, id DESC)
  WHERE kind = 'patient' AND state <> 'closed';
