package earshot.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/** Records nothing; for nodes with metrics turned off and for tests that do not look at meters. */
public final class NoopJobMetrics implements JobMetrics {
  public static final NoopJobMetrics INSTANCE = new NoopJobMetrics();

  private NoopJobMetrics() {}

  @Override public void enqueued(String queue, String stage) {}
  @Override public void started(String queue, String stage) {}
  @Override public void completed(String queue, String stage) {}
  @Override public void failed(String queue, String stage, String reason) {}
  @Override public void stageDuration(String stage, String outcome, Duration duration) {}
  @Override public void jobDuration(Duration duration) {}
  @Override public void queueDepths(Map<String, Long> depths) {}
  @Override public void workerActive(int delta) {}
  @Override public void leaseLost(String stage) {}
  @Override public void leaseExpired(String stage) {}
  @Override public void reacquired(String queue, String stage) {}
  @Override public void queueAges(Map<String, Double> oldestQueuedSeconds) {}
  @Override public void leaseHeld(long jobId) {}
  @Override public void leaseEnded(long jobId) {}
  @Override public void realTimeFactor(double factor) {}
  @Override public void registerKnown(Collection<String> queues, Collection<String> stages) {}
}
