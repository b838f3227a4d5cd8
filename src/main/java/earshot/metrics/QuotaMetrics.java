package earshot.metrics;

/**
 * The quota meters: this node's active jobs and streams per owner, quota refusals by type, and whether the counters
 * fell back from Redis to in-process. Implementations are thread-safe, so one instance may be handed to several
 * verticles.
 */
public interface QuotaMetrics {
  /** {@link #quotaHit} types. */
  String DAILY_MINUTES = "daily_minutes";
  String CONCURRENT_STREAMS = "concurrent_streams";
  String CONCURRENT_JOBS = "concurrent_jobs";
  String QUEUED_JOBS = "queued_jobs";

  /** Jobs this node holds for {@code owner} now. */
  void activeJobs(String owner, int count);

  /** Live streams this node holds for {@code owner} now. */
  void activeStreams(String owner, int count);

  /** A request was refused by a quota of {@code type}: one of the constants above. */
  void quotaHit(String type);

  /** Whether the active counters are in-process because Redis is unreachable. */
  void redisFallback(boolean active);

  /** A call to Redis failed (refused, closed or unanswered): the one that moved the node to fallback, or a reconnect. */
  void redisError();
}
