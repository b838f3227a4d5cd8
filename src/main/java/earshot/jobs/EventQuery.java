package earshot.jobs;

/**
 * Which recorded job events to read: those after {@code afterSeq}, oldest first, at most {@code limit}; of one job
 * ({@code jobId}), of one owner's jobs ({@code ownerUserId}), or of every job (both null).
 */
public record EventQuery(Long jobId, String ownerUserId, long afterSeq, int limit) {}
