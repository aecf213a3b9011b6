-- An organization's crisis lexicon overrides (docs/safety.md, docs/decisions/0021-lexicon-overrides.md): every
-- revision is kept, the highest one is in force. A change is a new row with the next revision number; the primary key
-- makes two admins saving on the same revision a conflict for the second one (no lost update). Revisions are never
-- changed or deleted (the history is the version record: which wording was flagged when).
--
-- The overrides are lexicon configuration written by admins (rule ids, phrases in the phrase syntax, cue words, word
-- replacements), not patient data: stored in plaintext as jsonb (docs/security.md). base_version repeats
-- overrides->>'baseVersion' for listing the history without reading the documents.
CREATE TABLE crisis_lexicon_overrides (
  org_id       uuid NOT NULL REFERENCES organizations(id),
  revision     integer NOT NULL CHECK (revision > 0),
  base_version text NOT NULL,
  overrides    jsonb NOT NULL,
  created_by   uuid NOT NULL REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, revision)
);
CREATE TRIGGER crisis_lexicon_overrides_append_only BEFORE UPDATE OR DELETE ON crisis_lexicon_overrides
  FOR EACH ROW EXECUTE FUNCTION haven_refuse_change();
