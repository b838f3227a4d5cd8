package earshot.metrics;

/** Records nothing; for nodes with metrics turned off and for tests that do not look at meters. */
public final class NoopUploadMetrics implements UploadMetrics {
  public static final NoopUploadMetrics INSTANCE = new NoopUploadMetrics();

  private NoopUploadMetrics() {}

  @Override public void orphansRemoved(int count) {}
}
