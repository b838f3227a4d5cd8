package earshot.metrics;

/** Records nothing; for nodes with metrics turned off and for tests that do not look at meters. */
public final class NoopQuotaMetrics implements QuotaMetrics {
  public static final NoopQuotaMetrics INSTANCE = new NoopQuotaMetrics();

  private NoopQuotaMetrics() {}

  @Override public void activeJobs(String owner, int count) {}
  @Override public void activeStreams(String owner, int count) {}
  @Override public void quotaHit(String type) {}
  @Override public void redisFallback(boolean active) {}
  @Override public void redisError() {}
}
