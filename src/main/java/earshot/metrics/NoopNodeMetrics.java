package earshot.metrics;

import java.util.function.IntSupplier;

/** Records nothing; for nodes with metrics turned off and for tests that do not look at meters. */
public final class NoopNodeMetrics implements NodeMetrics {
  public static final NoopNodeMetrics INSTANCE = new NoopNodeMetrics();

  private NoopNodeMetrics() {}

  @Override public void webhookFailure(String reason) {}
  @Override public void storeError(String operation) {}
  @Override public void clusterMembers(IntSupplier members) {}
}
