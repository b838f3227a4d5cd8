-- A job's progress only rises: the running stage covers [progress_from, progress_to] of it (StagePlan.span), its own
-- 0-100 is stage_progress, and every progress report moves the job's progress to the same point of that span unless
-- it was already further.
ALTER TABLE jobs ADD COLUMN stage_progress INTEGER NOT NULL DEFAULT 0 CHECK (stage_progress BETWEEN 0 AND 100);
ALTER TABLE jobs ADD COLUMN progress_from INTEGER NOT NULL DEFAULT 0 CHECK (progress_from BETWEEN 0 AND 100);
ALTER TABLE jobs ADD COLUMN progress_to INTEGER NOT NULL DEFAULT 100 CHECK (progress_to BETWEEN 0 AND 100);
