-- The readiness probe (JobStore.ping) truncates this table and inserts one row in one transaction. A truncated table
-- starts in a new, empty file, so the insert must take a new page from the disk and a full disk shows as not ready
-- (an update in place still succeeds on a full disk). No index, so a truncate replaces one file only.
CREATE TABLE store_health (probed_at TIMESTAMPTZ NOT NULL);
