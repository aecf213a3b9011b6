-- Care workflow: thread states, assignment, queues and routing, SLA due times, safety alerts.
--
-- A patient thread carries its workflow on its own row (one indexed row per thread, so the inbox is one indexed query):
--   state      unassigned  a patient is waiting and nobody owns the thread
--              assigned    owned, the owner has not answered since it was assigned
--              awaiting_staff   owned, the patient wrote after the last staff answer
--              awaiting_patient staff answered last
--              closed      done; a new patient message reopens it
--   due_at     when the waiting patient should have an answer (SLA, counted in business hours); NULL when nobody waits.
-- Times here come from the workflow clock (the server's clock, or a test's controllable clock).
-- Nothing here is message text; the workflow reveals who works on what and how urgent it is (docs/security.md).

CREATE TABLE queues (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  name           text NOT NULL,
  department_id  uuid REFERENCES departments(id),
  -- off: threads wait in the queue; round_robin / least_loaded: assigned on arrival among members available now.
  assignment     text NOT NULL DEFAULT 'off' CHECK (assignment IN ('off', 'round_robin', 'least_loaded')),
  -- Who takes overdue threads: a colleague, else the department's on-call.
  escalate_to    uuid REFERENCES users(id),
  -- Round robin: the member who was assigned last.
  last_assignee  uuid REFERENCES users(id),
  archived_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);

CREATE TABLE queue_members (
  queue_id  uuid NOT NULL REFERENCES queues(id),
  user_id   uuid NOT NULL REFERENCES users(id),
  org_id    uuid NOT NULL REFERENCES organizations(id),
  PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX queue_members_user ON queue_members (user_id);

-- Routing: the first rule (by position) whose given fields all match decides the queue; NULL matches anything.
CREATE TABLE routing_rules (
  id             uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  position       integer NOT NULL,
  topic          text,
  department_id  uuid REFERENCES departments(id),
  care_team_id   uuid REFERENCES care_teams(id),
  queue_id       uuid NOT NULL REFERENCES queues(id),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routing_rules_org ON routing_rules (org_id, position);

-- Response-time targets in business minutes; topic '*' applies to topics without their own target.
CREATE TABLE sla_targets (
  org_id          uuid NOT NULL REFERENCES organizations(id),
  topic           text NOT NULL,
  priority        text NOT NULL CHECK (priority IN ('routine', 'urgent')),
  response_minutes integer NOT NULL CHECK (response_minutes > 0),
  -- The assignee is reminded this many (business) minutes before the due time.
  remind_before_minutes integer NOT NULL DEFAULT 0 CHECK (remind_before_minutes >= 0),
  PRIMARY KEY (org_id, topic, priority)
);

-- Whether patients may address a provider directly (otherwise their messages go through staff first).
ALTER TABLE users ADD COLUMN accepts_direct_messages boolean NOT NULL DEFAULT false;

ALTER TABLE threads
  ADD COLUMN state            text CHECK (state IN ('unassigned', 'assigned', 'awaiting_staff', 'awaiting_patient', 'closed')),
  ADD COLUMN priority         text NOT NULL DEFAULT 'routine' CHECK (priority IN ('routine', 'urgent')),
  ADD COLUMN department_id    uuid REFERENCES departments(id),
  ADD COLUMN queue_id         uuid REFERENCES queues(id),
  ADD COLUMN assignee_id      uuid REFERENCES users(id),
  -- The provider the patient addressed, when they did, and who covers for them while they are away.
  ADD COLUMN requested_provider_id uuid REFERENCES users(id),
  ADD COLUMN covering_for_id  uuid REFERENCES users(id),
  ADD COLUMN waiting_since    timestamptz,
  ADD COLUMN due_at           timestamptz,
  -- When the assignee is reminded (the due time minus the target's lead).
  ADD COLUMN remind_at        timestamptz,
  ADD COLUMN reminded_at      timestamptz,
  ADD COLUMN escalated_at     timestamptz,
  ADD COLUMN first_patient_at timestamptz,
  ADD COLUMN first_response_at timestamptz,
  ADD COLUMN first_responder_id uuid REFERENCES users(id),
  ADD COLUMN closed_at        timestamptz,
  ADD COLUMN state_changed_at timestamptz,
  -- Answers to a waiting patient, and how many of them came after the due time (SLA adherence without reading messages).
  ADD COLUMN responses        integer NOT NULL DEFAULT 0,
  ADD COLUMN late_responses   integer NOT NULL DEFAULT 0,
  -- The last off-hours auto-reply (one per closed period, not one per message).
  ADD COLUMN auto_replied_at  timestamptz,
  ADD COLUMN off_hours_messages integer NOT NULL DEFAULT 0;

-- Existing patient threads join the workflow: answered when staff wrote last, else waiting and unassigned.
UPDATE threads t
   SET state = CASE WHEN (SELECT m.sender_role FROM messages m WHERE m.thread_id = t.id ORDER BY m.seq DESC LIMIT 1) IN ('provider', 'staff')
                    THEN 'awaiting_patient' ELSE 'unassigned' END,
       state_changed_at = coalesce(t.last_message_at, t.created_at)
 WHERE t.kind = 'patient';

-- Automatic replies (off-hours, crisis guidance) come from one system user per organization: it cannot sign in (no
-- password) and is never listed as staff.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'provider', 'staff', 'compliance', 'patient', 'system'));
CREATE UNIQUE INDEX users_one_system ON users (org_id) WHERE role = 'system';

-- The inbox: views filter by organization and state (or assignee) and sort by due time.
CREATE INDEX threads_inbox_state ON threads (org_id, state, due_at NULLS LAST, last_message_at DESC) WHERE kind = 'patient';
CREATE INDEX threads_inbox_assignee ON threads (assignee_id, due_at NULLS LAST) WHERE kind = 'patient' AND state <> 'closed';
-- The SLA sweep: waiting threads by due time.
CREATE INDEX threads_sla_due ON threads (due_at) WHERE due_at IS NOT NULL AND escalated_at IS NULL;
CREATE INDEX threads_sla_remind ON threads (remind_at) WHERE remind_at IS NOT NULL AND reminded_at IS NULL;

-- A crisis match on a patient message: one row per message (idempotent handling), the categories encrypted with the
-- patient's key. The guidance reply and the on-call page are recorded here once done.
CREATE TABLE safety_alerts (
  message_id     uuid PRIMARY KEY REFERENCES messages(id),
  org_id         uuid NOT NULL REFERENCES organizations(id),
  thread_id      uuid NOT NULL REFERENCES threads(id),
  patient_id     uuid NOT NULL REFERENCES users(id),
  key_id         uuid NOT NULL REFERENCES data_keys(id),
  detail_ct      bytea NOT NULL,
  lexicon_version text NOT NULL,
  reply_message_id uuid,
  paged_user_ids uuid[] NOT NULL DEFAULT '{}',
  detected_at    timestamptz NOT NULL,
  handled_at     timestamptz
);
CREATE INDEX safety_alerts_org ON safety_alerts (org_id, detected_at);
-- Messages that matched, until their alert is handled (a crash between the message and its alert is caught up).
ALTER TABLE messages ADD COLUMN crisis boolean NOT NULL DEFAULT false;
CREATE INDEX messages_crisis ON messages (created_at) WHERE crisis;

-- Urgent notification items (crisis pages) skip quiet hours, batching and presence.
ALTER TABLE notification_items ADD COLUMN urgent boolean NOT NULL DEFAULT false;
