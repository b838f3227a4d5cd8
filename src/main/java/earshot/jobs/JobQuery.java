package earshot.jobs;

/**
 * A page of jobs, newest first: optionally one owner's and one status; {@code beforeId} is the cursor (the last id of
 * the previous page), null for the first page.
 */
public record JobQuery(String ownerUserId, JobStatus status, int limit, Long beforeId) {}
