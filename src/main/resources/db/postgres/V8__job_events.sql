-- Job events as the scheduler published them, so that an SSE client that reconnects (to any API node) with
-- Last-Event-ID gets exactly what it missed. seq is the event's number from one identity, so it rises per job (and
-- over all jobs). job is the job's public view as it was then.
-- No foreign key: an insert per event should cost one row and its indexes, nothing more.
CREATE TABLE job_events (
  seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id        BIGINT      NOT NULL,
  owner_user_id TEXT        NOT NULL,
  event         TEXT        NOT NULL,
  job           JSONB       NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX job_events_job ON job_events (job_id, seq);
CREATE INDEX job_events_owner ON job_events (owner_user_id, seq);
CREATE INDEX job_events_created ON job_events (created_at);
