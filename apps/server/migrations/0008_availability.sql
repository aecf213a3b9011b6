-- Availability: business hours and holidays of the organization and its departments, working hours and out of office
-- of providers and staff (with a covering colleague), on-call shifts per department.
-- Workforce schedules, not health information: stored in plaintext (no free text about why someone is away).
-- Weekly hours are JSON: {"mon": [{"start": "08:00", "end": "17:00"}], …, "sun": []}, wall-clock times in the row's
-- (or the organization's) IANA time zone; an end at or before the start runs overnight.

-- The organization's hours (department_id NULL) and departments' own. A department's NULL time zone or weekly hours
-- mean the organization's; no organization row means America/New_York, Monday to Friday 08:00–17:00.
CREATE TABLE business_hours (
  org_id        uuid NOT NULL REFERENCES organizations(id),
  department_id uuid REFERENCES departments(id),
  time_zone     text,
  weekly_hours  jsonb,
  updated_by    uuid NOT NULL REFERENCES users(id),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (org_id, department_id),
  CHECK (department_id IS NOT NULL OR (time_zone IS NOT NULL AND weekly_hours IS NOT NULL))
);

-- Holidays and special hours, by local date: hours [] = closed all day, else the hours kept that day.
CREATE TABLE holidays (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations(id),
  department_id uuid REFERENCES departments(id),
  day           date NOT NULL,
  name          text NOT NULL,
  hours         jsonb NOT NULL DEFAULT '[]',
  created_by    uuid NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE NULLS NOT DISTINCT (org_id, department_id, day)
);

-- A provider's or staff member's own working hours; no row (or NULLs) means their department's / the organization's.
CREATE TABLE staff_hours (
  user_id       uuid PRIMARY KEY REFERENCES users(id),
  org_id        uuid NOT NULL REFERENCES organizations(id),
  time_zone     text,
  weekly_hours  jsonb,
  updated_by    uuid NOT NULL REFERENCES users(id),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Out of office, half-open [starts_at, ends_at), with the colleague who covers.
CREATE TABLE out_of_office (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations(id),
  user_id       uuid NOT NULL REFERENCES users(id),
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL,
  cover_user_id uuid REFERENCES users(id),
  created_by    uuid NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    uuid NOT NULL REFERENCES users(id),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at),
  CHECK (cover_user_id IS DISTINCT FROM user_id)
);
CREATE INDEX out_of_office_user ON out_of_office (user_id, ends_at);
-- "Who is away at t" for an organization: ends after t, then starts at or before t.
CREATE INDEX out_of_office_org_ends ON out_of_office (org_id, ends_at);

-- On-call shifts, half-open; department_id NULL = organization-wide (the fallback). Overlaps are allowed.
CREATE TABLE on_call_shifts (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations(id),
  department_id uuid REFERENCES departments(id),
  user_id       uuid NOT NULL REFERENCES users(id),
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL,
  created_by    uuid NOT NULL REFERENCES users(id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX on_call_shifts_org_ends ON on_call_shifts (org_id, ends_at);
