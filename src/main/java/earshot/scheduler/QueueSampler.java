package earshot.scheduler;

import earshot.jobs.QueueStats;
import earshot.metrics.JobMetrics;
import earshot.metrics.NodeMetrics;
import earshot.store.JobStore;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the queues for the {@code queue_depth} and {@code queue_oldest_job_age_seconds} gauges on the scheduler's
 * timer: one store query a sample, every configured queue listed (at 0 while empty). Runs on the scheduler's event
 * loop; the store call is asynchronous. Overlapping samples are skipped, so a slow database never piles them up.
 */
final class QueueSampler {
  static final long INTERVAL_MS = 2_000;
  private static final Logger LOG = LoggerFactory.getLogger(QueueSampler.class);

  private final JobStore store;
  private final Collection<String> queues;
  private final JobMetrics metrics;
  private final NodeMetrics nodeMetrics;
  private boolean running;

  QueueSampler(JobStore store, Collection<String> queues, JobMetrics metrics, NodeMetrics nodeMetrics) {
    this.store = store;
    this.queues = queues;
    this.metrics = metrics;
    this.nodeMetrics = nodeMetrics;
    publish(List.of());
  }

  void sample() {
    if (running) {
      return;
    }
    running = true;
    store.queueStats()
        .onSuccess(this::publish)
        .onFailure(err -> {
          nodeMetrics.storeError("queue sample");
          LOG.warn("queue sample failed: {}", err.getMessage());
        })
        .onComplete(ar -> running = false);
  }

  private void publish(List<QueueStats> counted) {
    List<QueueStats> all = QueueStats.withConfigured(counted, queues);
    Map<String, Long> depths = all.stream().collect(Collectors.toMap(QueueStats::queue, QueueStats::queued));
    Map<String, Double> ages = all.stream()
        .collect(Collectors.toMap(QueueStats::queue, QueueStats::oldestQueuedAgeSeconds));
    metrics.queueDepths(depths);
    metrics.queueAges(ages);
  }
}
