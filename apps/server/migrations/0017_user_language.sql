-- The language a person reads Haven in. For a patient it is also the language of the automatic replies (crisis
-- guidance, off-hours) and a second lexicon the crisis check reads their messages with (docs/safety.md).
-- Which languages exist is the application's list (packages/api LANGUAGES); the column only keeps the form.
ALTER TABLE users ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2}$');
