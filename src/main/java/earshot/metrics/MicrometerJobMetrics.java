package earshot.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Micrometer meters for the job engine. Micrometer names map to Prometheus names: {@code jobs.enqueued} is exported
 * as {@code jobs_enqueued_total}, the {@code job.total} timer as {@code job_total_seconds}, and so on.
 */
public final class MicrometerJobMetrics implements JobMetrics {
  /** Job totals span seconds to an hour (seed 003's proposal). */
  private static final Duration[] JOB_BUCKETS = seconds(1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600);
  private static final Duration[] STAGE_BUCKETS = seconds(0.005, 0.05, 0.25, 1, 5, 10, 30, 60, 300, 1200);

  private final MeterRegistry registry;
  private final Timer jobTotal;
  private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();
  /** The queue/stage counters, registered once: building a meter id per event costs more than the increment. */
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public MicrometerJobMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.jobTotal = Timer.builder("job.total")
        .description("Time from submission to completion of a job")
        .serviceLevelObjectives(JOB_BUCKETS)
        .register(registry);
    Gauge.builder("worker.active", active, AtomicInteger::get)
        .description("Stages running on this node's runners")
        .register(registry);
  }

  private Counter counter(String name, String description, String queue, String stage) {
    return counters.computeIfAbsent(name + '\u0000' + queue + '\u0000' + stage, k -> Counter.builder(name)
        .description(description).tag("queue", queue).tag("stage", stage).register(registry));
  }

  @Override
  public void enqueued(String queue, String stage) {
    counter("jobs.enqueued", "Jobs that entered a queue at a stage", queue, stage).increment();
  }

  @Override
  public void started(String queue, String stage) {
    counter("jobs.started", "Stage runs leased to a runner", queue, stage).increment();
  }

  @Override
  public void completed(String queue, String stage) {
    counter("jobs.completed", "Stages that finished successfully", queue, stage).increment();
  }

  @Override
  public void failed(String queue, String stage) {
    counter("jobs.failed", "Jobs that failed for good, by the stage they failed at", queue, stage).increment();
  }

  @Override
  public void stageDuration(String stage, String outcome, Duration duration) {
    Timer.builder("stage")
        .description("Wall time of one stage run")
        .tag("stage", stage)
        .tag("outcome", outcome)
        .serviceLevelObjectives(STAGE_BUCKETS)
        .register(registry)
        .record(duration);
  }

  @Override
  public void jobDuration(Duration duration) {
    jobTotal.record(duration);
  }

  @Override
  public void queueDepths(Map<String, Long> latest) {
    depths.forEach((queue, value) -> value.set(latest.getOrDefault(queue, 0L)));
    latest.forEach((queue, n) -> depths.computeIfAbsent(queue, q -> {
      AtomicLong holder = new AtomicLong();
      Gauge.builder("queue.depth", holder, AtomicLong::get)
          .description("Queued jobs per queue")
          .tag("queue", q)
          .register(registry);
      return holder;
    }).set(n));
  }

  @Override
  public void workerActive(int delta) {
    active.addAndGet(delta);
  }

  @Override
  public void leaseLost(String stage) {
    Counter.builder("jobs.lease.lost").description("Fenced writes refused because the lease was lost")
        .tag("stage", stage).register(registry).increment();
  }

  private static Duration[] seconds(double... values) {
    Duration[] out = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Duration.ofNanos((long) (values[i] * 1_000_000_000L));
    }
    return out;
  }
}
