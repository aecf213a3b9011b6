-- Live events: the transactional outbox is also every user's event stream.
--
-- A change writes its event row in the same transaction as the change itself (so a crash between commit and
-- delivery loses nothing). Rows get their stream `position` only after they are committed, from one relay at a
-- time (an advisory lock elects it), so positions follow commit order and a client that resumes after position N
-- can never miss an event that committed late with a smaller insertion id.
-- Event rows hold identifiers and non-clinical facts only (kind, ids, receipt status), never message text.

CREATE SEQUENCE event_position AS bigint;

CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  position    bigint UNIQUE,
  org_id      uuid NOT NULL REFERENCES organizations(id),
  kind        text NOT NULL,
  thread_id   uuid,
  -- Set for events addressed to one user (access.changed); NULL for thread events (the thread's audience).
  user_id     uuid,
  message_id  uuid,
  actor_id    uuid,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- The relay's work queue: committed rows still without a position.
CREATE INDEX events_unpositioned ON events (id) WHERE position IS NULL;
CREATE INDEX events_org_position ON events (org_id, position);
CREATE INDEX events_created ON events (created_at);

-- How far the relay has published; a new relay re-publishes from here after a crash.
-- Events older than the retention are pruned; a cursor at or before `pruned_to` can no longer be replayed.
CREATE TABLE event_relay_state (
  id            boolean PRIMARY KEY DEFAULT true CHECK (id),
  published_to  bigint NOT NULL DEFAULT 0,
  pruned_to     bigint NOT NULL DEFAULT 0
);
INSERT INTO event_relay_state (id) VALUES (true);

-- Single-use, short-lived tickets that let SDK clients open the socket without a long-lived token in the URL.
CREATE TABLE event_tickets (
  token_hash  bytea PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES sessions(id),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX event_tickets_expiry ON event_tickets (expires_at);

-- Who is connected, per server node; a node's rows count only while it keeps its heartbeat.
CREATE TABLE event_nodes (
  node_id       uuid PRIMARY KEY,
  heartbeat_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE event_presence (
  node_id     uuid NOT NULL REFERENCES event_nodes(node_id) ON DELETE CASCADE,
  user_id     uuid NOT NULL,
  org_id      uuid NOT NULL,
  role        text NOT NULL,
  since       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, node_id)
);
