-- Jobs: one row per submission. Times are epoch milliseconds (UTC).
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid             TEXT    NOT NULL UNIQUE,
  owner_user_id    TEXT    NOT NULL,
  domain           TEXT    NOT NULL DEFAULT 'audio',
  job_type         TEXT    NOT NULL,
  queue            TEXT    NOT NULL,
  status           TEXT    NOT NULL CHECK (status IN ('queued','processing','completed','failed','cancelled')),
  priority         INTEGER NOT NULL DEFAULT 0,
  retry_count      INTEGER NOT NULL DEFAULT 0,
  max_retries      INTEGER NOT NULL DEFAULT 3,
  payload          TEXT    NOT NULL DEFAULT '{}',
  result           TEXT,
  error            TEXT,
  progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  lease_token      INTEGER NOT NULL DEFAULT 0,
  available_at     INTEGER NOT NULL,
  idempotency_key  TEXT,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  completed_at     INTEGER,
  updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_owner_idempotency ON jobs (owner_user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs (queue, status, priority DESC, created_at, id);
CREATE INDEX jobs_owner_status ON jobs (owner_user_id, status);
CREATE INDEX jobs_status_lease ON jobs (status, lease_expires_at);
