-- One row that the readiness probe (JobStore.ping) rewrites in a write transaction: a real write, so that a disk
-- with no room for the write-ahead log shows as not ready.
CREATE TABLE store_health (probed_at INTEGER NOT NULL);
INSERT INTO store_health (probed_at) VALUES (0);
