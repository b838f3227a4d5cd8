package earshot.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Micrometer meters for the job engine. Micrometer names map to Prometheus names: {@code jobs.enqueued} is exported
 * as {@code jobs_enqueued_total}, the {@code job.total} timer as {@code job_total_seconds}, and so on. The node label
 * is a common tag of the registry ({@link NodeRegistry}), not set here. Thread-safe: counts live in concurrent maps
 * and atomics, and Micrometer's registration is itself thread-safe.
 */
public final class MicrometerJobMetrics implements JobMetrics {
  /** Job totals span seconds to an hour (seed 003's proposal). */
  private static final Duration[] JOB_BUCKETS = seconds(1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600);
  /** A stage runs from milliseconds (chunking) to an hour (a long transcription on a CPU). */
  private static final Duration[] STAGE_BUCKETS =
      seconds(0.005, 0.05, 0.25, 1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600);
  /**
   * Transcription speed in percent of the audio's duration: 5 is twenty times faster than real time, above 100 slower.
   * Percent, not the plain factor, because Micrometer rounds a distribution summary's values up to whole numbers
   * before it finds their bucket (micrometer#3680): a factor of 0.25 would count as 1.
   */
  private static final double[] RTF_PERCENT_BUCKETS = {1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 500, 1000};
  private static final String COMPLETED = "completed";
  // meter descriptions, shared by the recording and the start-up registration
  private static final String ENQUEUED = "Jobs that entered a queue at a stage";
  private static final String STARTED = "Stage runs leased to a runner";
  private static final String COMPLETED_D = "Stages that finished successfully";
  private static final String LEASE_LOST = "Fenced writes refused because the lease was lost";
  private static final String LEASE_EXPIRED_D = "Leases the sweeper found expired (runner died or hung)";
  private static final String REACQUIRED = "Stage runs leased again after an earlier run ended without completing";

  private final MeterRegistry registry;
  private final Timer jobTotal;
  private final DistributionSummary realTimeFactor;
  private final Map<String, AtomicLong> depths = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<Double>> ages = new ConcurrentHashMap<>();
  /** Job id to the monotonic time its stage started on this node's runners. */
  private final Map<Long, Long> leasesHeld = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();
  /** Counters by name and labels, registered once: building a meter id per event costs more than the increment. */
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  public MicrometerJobMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.jobTotal = Timer.builder("job.total")
        .description("Time from submission to completion of a job")
        .serviceLevelObjectives(JOB_BUCKETS)
        .register(registry);
    this.realTimeFactor = DistributionSummary.builder("transcription.real.time.factor.percent")
        .description("Transcription wall time in percent of the audio's duration (below 100: faster than real time)")
        .serviceLevelObjectives(RTF_PERCENT_BUCKETS)
        .register(registry);
    Gauge.builder("worker.active", active, AtomicInteger::get)
        .description("Stages running on this node's runners")
        .register(registry);
    Gauge.builder("jobs.oldest.lease.age.seconds", leasesHeld, MicrometerJobMetrics::oldestAgeSeconds)
        .description("Age of the oldest stage run this node's runners hold a lease for (0 when idle)")
        .register(registry);
  }

  private Counter counter(String name, String description, String... tags) {
    return counters.computeIfAbsent(name + '\u0000' + String.join("\u0000", tags),
        k -> Counter.builder(name).description(description).tags(tags).register(registry));
  }

  @Override
  public void enqueued(String queue, String stage) {
    counter("jobs.enqueued", ENQUEUED, "queue", queue, "stage", stage).increment();
  }

  @Override
  public void started(String queue, String stage) {
    counter("jobs.started", STARTED, "queue", queue, "stage", stage).increment();
  }

  @Override
  public void completed(String queue, String stage) {
    counter("jobs.completed", COMPLETED_D, "queue", queue, "stage", stage).increment();
  }

  @Override
  public void failed(String queue, String stage, String reason) {
    failedCounter(queue, stage, reason).increment();
  }

  private Counter failedCounter(String queue, String stage, String reason) {
    return counter("jobs.failed", "Jobs that failed for good, by the stage they failed at and why",
        "queue", queue, "stage", stage, "reason", reason);
  }

  @Override
  public void stageDuration(String stage, String outcome, Duration duration) {
    stageTimer(stage, outcome).record(duration);
  }

  private Timer stageTimer(String stage, String outcome) {
    return Timer.builder("stage")
        .description("Wall time of one stage run")
        .tag("stage", stage)
        .tag("outcome", outcome)
        .serviceLevelObjectives(STAGE_BUCKETS)
        .register(registry);
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
  public void queueAges(Map<String, Double> latest) {
    ages.forEach((queue, value) -> value.set(latest.getOrDefault(queue, 0.0)));
    latest.forEach((queue, age) -> ages.computeIfAbsent(queue, q -> {
      AtomicReference<Double> holder = new AtomicReference<>(0.0);
      Gauge.builder("queue.oldest.job.age.seconds", holder, AtomicReference::get)
          .description("Age of the oldest queued job per queue (0 when the queue is empty)")
          .tag("queue", q)
          .register(registry);
      return holder;
    }).set(age));
  }

  @Override
  public void workerActive(int delta) {
    active.addAndGet(delta);
  }

  @Override
  public void leaseLost(String stage) {
    counter("jobs.lease.lost", LEASE_LOST, "stage", stage).increment();
  }

  @Override
  public void leaseExpired(String stage) {
    counter("jobs.lease.expired", LEASE_EXPIRED_D, "stage", stage)
        .increment();
  }

  @Override
  public void reacquired(String queue, String stage) {
    counter("jobs.reacquired", REACQUIRED,
        "queue", queue, "stage", stage).increment();
  }

  @Override
  public void leaseHeld(long jobId) {
    leasesHeld.put(jobId, System.nanoTime());
  }

  @Override
  public void leaseEnded(long jobId) {
    leasesHeld.remove(jobId);
  }

  @Override
  public void realTimeFactor(double factor) {
    realTimeFactor.record(factor * 100);
  }

  @Override
  public void registerKnown(Collection<String> queues, Collection<String> stages) {
    queueDepths(queues.stream().collect(java.util.stream.Collectors.toMap(q -> q, q -> 0L, (a, b) -> a)));
    queueAges(queues.stream().collect(java.util.stream.Collectors.toMap(q -> q, q -> 0.0, (a, b) -> a)));
    for (String stage : stages) {
      stageTimer(stage, COMPLETED);
      counter("jobs.lease.lost", LEASE_LOST, "stage", stage);
      counter("jobs.lease.expired", LEASE_EXPIRED_D, "stage", stage);
      for (String queue : queues) {
        counter("jobs.enqueued", ENQUEUED, "queue", queue, "stage", stage);
        counter("jobs.started", STARTED, "queue", queue, "stage", stage);
        counter("jobs.completed", COMPLETED_D, "queue", queue, "stage", stage);
        counter("jobs.reacquired", REACQUIRED,
            "queue", queue, "stage", stage);
        failedCounter(queue, stage, STAGE_ERROR);
      }
    }
  }

  private static double oldestAgeSeconds(Map<Long, Long> held) {
    long now = System.nanoTime();
    return held.values().stream().mapToLong(started -> now - started).max().orElse(0) / 1e9;
  }

  private static Duration[] seconds(double... values) {
    Duration[] out = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Duration.ofNanos((long) (values[i] * 1_000_000_000L));
    }
    return out;
  }
}
