-- Acquisition ranks each owner's queued jobs of a queue in this order and reads only the first few of each.
CREATE INDEX jobs_ready_by_owner ON jobs (queue, owner_user_id, priority DESC, created_at, id) WHERE status = 'queued';
