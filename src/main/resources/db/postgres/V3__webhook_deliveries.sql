-- Webhook deliveries: one row per attempt to POST a job's terminal event to its callback_url.
-- delivery_id is the same for every attempt of one delivery (and on every scheduler node, see WebhookVerticle);
-- the unique (delivery_id, attempt) lets only one node record, and so continue, each attempt.
CREATE TABLE webhook_deliveries (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id      BIGINT      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  delivery_id TEXT        NOT NULL,
  event       TEXT        NOT NULL,
  url         TEXT        NOT NULL,
  attempt     INTEGER     NOT NULL CHECK (attempt >= 1),
  status_code INTEGER,
  error       TEXT,
  duration_ms BIGINT      NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL,
  UNIQUE (delivery_id, attempt)
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);
