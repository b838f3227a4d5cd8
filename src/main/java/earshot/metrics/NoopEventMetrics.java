package earshot.metrics;

/** Records nothing; for nodes with metrics turned off and for tests that do not look at meters. */
public final class NoopEventMetrics implements EventMetrics {
  public static final NoopEventMetrics INSTANCE = new NoopEventMetrics();

  private NoopEventMetrics() {}

  @Override public void subscribed() {}

  @Override public void unsubscribed() {}
}
