package earshot.scheduler;

import earshot.metrics.JobMetrics;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts what the engine reports, so tests can wait on engine events such as a fenced-off commit. */
final class RecordingJobMetrics implements JobMetrics {
  final AtomicInteger leaseLost = new AtomicInteger();
  final AtomicInteger failed = new AtomicInteger();
  final AtomicInteger completed = new AtomicInteger();

  @Override public void enqueued(String queue, String stage) {}
  @Override public void started(String queue, String stage) {}
  @Override public void completed(String queue, String stage) {
    completed.incrementAndGet();
  }
  @Override public void failed(String queue, String stage, String reason) {
    failed.incrementAndGet();
  }
  @Override public void stageDuration(String stage, String outcome, Duration duration) {}
  @Override public void jobDuration(Duration duration) {}
  @Override public void queueDepths(Map<String, Long> depths) {}
  @Override public void workerActive(int delta) {}
  @Override public void leaseLost(String stage) {
    leaseLost.incrementAndGet();
  }
  @Override public void leaseExpired(String stage) {}
  @Override public void reacquired(String queue, String stage) {}
  @Override public void queueAges(Map<String, Double> oldestQueuedSeconds) {}
  @Override public void leaseHeld(long jobId) {}
  @Override public void leaseEnded(long jobId) {}
  @Override public void realTimeFactor(double factor) {}
  @Override public void registerKnown(Collection<String> queues, Collection<String> stages) {}
}
