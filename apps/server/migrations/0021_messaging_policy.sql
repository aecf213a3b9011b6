-- 0021: the messaging policy a patient accepted before writing (docs/decisions/0027). One row per version accepted:
-- the first acceptance of a version is kept (accepting again changes nothing). The text itself is Haven's, versioned
-- in code (modules/messaging-policy/messaging-policy.texts.ts); `version` names it with a digest of the practice's part.
CREATE TABLE messaging_policy_acceptances (
  org_id      uuid NOT NULL REFERENCES organizations(id),
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  version     text NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
  language    text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
  accepted_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, user_id, version)
);
CREATE INDEX messaging_policy_acceptances_latest ON messaging_policy_acceptances (org_id, user_id, accepted_at DESC);
