-- Tiers: the tier an owner is on; owners without a row get the configured default tier.
CREATE TABLE user_tiers (
  user_id    TEXT    PRIMARY KEY,
  tier       TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
);
-- Daily audio minutes per owner per UTC day (seed 001): seconds settled by completed jobs, and seconds reserved by
-- jobs that are still running (reserved when audio_convert learns the duration).
CREATE TABLE audio_usage_daily (
  owner_user_id    TEXT NOT NULL,
  day              TEXT NOT NULL,
  used_seconds     REAL NOT NULL DEFAULT 0,
  reserved_seconds REAL NOT NULL DEFAULT 0,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (owner_user_id, day)
);
-- A job's own reservation, so it can be settled or refunded exactly once.
ALTER TABLE jobs ADD COLUMN reserved_seconds REAL;
ALTER TABLE jobs ADD COLUMN reserved_day TEXT;
CREATE INDEX jobs_reserved ON jobs (status) WHERE reserved_seconds IS NOT NULL;
-- Weighted owner-strict rotation: an owner's virtual time advances by 1/weight per job served.
ALTER TABLE owner_turns ADD COLUMN pass REAL NOT NULL DEFAULT 0;
