-- Why a failed job failed, as a value the APIs map to a status (earshot.jobs.JobFailure as JSON: {code, fields});
-- NULL for a job that has not failed or whose failure has no code. The error column keeps the sentence for people.
ALTER TABLE jobs ADD COLUMN failure JSONB;
