package earshot.metrics;

/** Stream meters that record nothing, for nodes and tests without a meter registry. */
public final class NoopStreamMetrics implements StreamMetrics {
  public static final NoopStreamMetrics INSTANCE = new NoopStreamMetrics();

  private NoopStreamMetrics() {}

  @Override
  public void firstPartial(double seconds) {}

  @Override
  public void finalLatency(double seconds) {}

  @Override
  public void audioSeconds(double seconds) {}

  @Override
  public void closed(CloseReason reason) {}
}
