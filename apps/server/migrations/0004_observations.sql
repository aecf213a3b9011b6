-- Health observations: a patient's time series (heart rate, HRV, weight, blood pressure, glucose, ...), imported
-- from FHIR R4 or entered by staff or the patient. See docs/decisions/0010.
--
-- What is plaintext, and why: ids, the patient, the effective time (range queries), the status (entered-in-error
-- rows are hidden), the source and who entered it. The metric is NOT stored in plaintext: metric_tag is a keyed
-- HMAC of it under the patient's data key (equal only within one patient's record), so the series of one metric can
-- be selected in SQL without the database saying which metric it is. The values, the unit, the metric itself and
-- the raw FHIR resource are AES-256-GCM ciphertext under the patient's data key, bound to the row (org, patient,
-- id, effective time, field).
CREATE TABLE observations (
  id            uuid PRIMARY KEY,
  org_id        uuid NOT NULL REFERENCES organizations(id),
  patient_id    uuid NOT NULL REFERENCES users(id),
  key_id        uuid NOT NULL REFERENCES data_keys(id),
  metric_tag    bytea NOT NULL,
  effective_at  timestamptz NOT NULL,
  status        text NOT NULL CHECK (status IN ('final', 'amended', 'corrected', 'preliminary', 'entered-in-error')),
  source        text NOT NULL CHECK (source IN ('fhir_import', 'staff_entry', 'patient_device')),
  entered_by    uuid NOT NULL REFERENCES users(id),
  values_ct     bytea NOT NULL,
  resource_ct   bytea,
  -- Keyed hash (patient data key) of what the row says: re-imports compare it to skip unchanged resources.
  content_hash  bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX observations_series ON observations (org_id, patient_id, metric_tag, effective_at);
CREATE INDEX observations_patient_time ON observations (org_id, patient_id, effective_at);

-- Chart shares: claims a client message id for one chart request, so a retried share (same id, same request)
-- neither renders nor uploads twice, and a different request under the same id is refused.
CREATE TABLE observation_chart_shares (
  message_id     uuid PRIMARY KEY,
  org_id         uuid NOT NULL REFERENCES organizations(id),
  patient_id     uuid NOT NULL REFERENCES users(id),
  thread_id      uuid NOT NULL REFERENCES threads(id),
  created_by     uuid NOT NULL REFERENCES users(id),
  -- Keyed hash (patient data key) of the request: metric, period, time zone and text.
  request_hash   bytea NOT NULL,
  attachment_id  uuid,
  claimed_at     timestamptz NOT NULL DEFAULT now(),
  created_at     timestamptz NOT NULL DEFAULT now()
);
