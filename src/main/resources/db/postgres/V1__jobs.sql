-- Jobs: one row per submission.
CREATE TABLE jobs (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  uuid             TEXT        NOT NULL UNIQUE,
  owner_user_id    TEXT        NOT NULL,
  domain           TEXT        NOT NULL DEFAULT 'audio',
  job_type         TEXT        NOT NULL,
  queue            TEXT        NOT NULL,
  status           TEXT        NOT NULL CHECK (status IN ('queued','processing','completed','failed','cancelled')),
  priority         INTEGER     NOT NULL DEFAULT 0,
  retry_count      INTEGER     NOT NULL DEFAULT 0,
  max_retries      INTEGER     NOT NULL DEFAULT 3,
  payload          JSONB       NOT NULL DEFAULT '{}',
  result           JSONB,
  error            TEXT,
  progress         INTEGER     NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  lease_owner      TEXT,
  lease_expires_at TIMESTAMPTZ,
  lease_token      BIGINT      NOT NULL DEFAULT 0,
  available_at     TIMESTAMPTZ NOT NULL,
  idempotency_key  TEXT,
  created_at       TIMESTAMPTZ NOT NULL,
  started_at       TIMESTAMPTZ,
  completed_at     TIMESTAMPTZ,
  updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX jobs_owner_idempotency ON jobs (owner_user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs (queue, priority DESC, created_at, id) WHERE status = 'queued';
CREATE INDEX jobs_owner_status ON jobs (owner_user_id, status);
CREATE INDEX jobs_processing_lease ON jobs (lease_expires_at) WHERE status = 'processing';
