package earshot.metrics;

import earshot.tiers.QuotaType;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Micrometer meters for quotas, exported to Prometheus as {@code audio_active_jobs}, {@code audio_active_streams},
 * {@code audio_quota_hits_total{type}}, {@code audio_redis_fallback} (0 or 1) and {@code redis_errors_total} (seed 003's
 * name). The quota types and the counters are registered at zero when created, so a fresh node exports them.
 *
 * <p>The owner is a high-cardinality label, so it is opt-in: with {@code ownerLabels} each active gauge carries
 * {@code owner} (one series per owner ever seen on this node, at 0 once idle); without, one gauge per kind shows the
 * node's total. Counts are kept in concurrent maps and atomics: any thread may report.
 */
public final class MicrometerQuotaMetrics implements QuotaMetrics {
  private final MeterRegistry registry;
  private final boolean ownerLabels;
  private final Active jobs;
  private final Active streams;
  private final AtomicInteger fallback = new AtomicInteger();
  private final Counter redisErrors;

  public MicrometerQuotaMetrics(MeterRegistry registry, boolean ownerLabels) {
    this.registry = registry;
    this.ownerLabels = ownerLabels;
    this.jobs = new Active("audio.active.jobs", "Jobs this node runs now");
    this.streams = new Active("audio.active.streams", "Live streams open on this node now");
    Gauge.builder("audio.redis.fallback", fallback, AtomicInteger::get)
        .description("1 while the active counters are in-process because Redis is unreachable")
        .register(registry);
    this.redisErrors = Counter.builder("redis.errors")
        .description("Calls to Redis that failed (refused, closed or unanswered)")
        .register(registry);
    for (QuotaType type : QuotaType.values()) {
      hits(type.wireName());
    }
  }

  @Override
  public void activeJobs(String owner, int count) {
    jobs.set(owner, count);
  }

  @Override
  public void activeStreams(String owner, int count) {
    streams.set(owner, count);
  }

  @Override
  public void quotaHit(String type) {
    hits(type).increment();
  }

  private Counter hits(String type) {
    return Counter.builder("audio.quota.hits").description("Requests refused by a quota, by quota type")
        .tag("type", type).register(registry);
  }

  @Override
  public void redisError() {
    redisErrors.increment();
  }

  @Override
  public void redisFallback(boolean active) {
    fallback.set(active ? 1 : 0);
  }

  /** One kind's counts per owner, behind a gauge per owner or one summing gauge. */
  private final class Active {
    private final String name;
    private final String description;
    private final Map<String, AtomicInteger> byOwner = new ConcurrentHashMap<>();

    Active(String name, String description) {
      this.name = name;
      this.description = description;
      if (!ownerLabels) {
        Gauge.builder(name, byOwner, m -> m.values().stream().mapToInt(AtomicInteger::get).sum())
            .description(description)
            .register(registry);
      } else {
        // The name exists before the first owner does: one series with an empty owner (no owner), always 0.
        byOwner.computeIfAbsent("", this::gauge);
      }
    }

    void set(String owner, int count) {
      if (ownerLabels) {
        byOwner.computeIfAbsent(owner, this::gauge).set(count);
        return;
      }
      // An idle owner adds nothing to the total: drop it, so the map holds only the owners active now.
      byOwner.compute(owner, (o, value) -> {
        if (count == 0) {
          return null;
        }
        AtomicInteger v = value == null ? new AtomicInteger() : value;
        v.set(count);
        return v;
      });
    }

    private AtomicInteger gauge(String owner) {
      AtomicInteger value = new AtomicInteger();
      Gauge.builder(name, value, AtomicInteger::get).description(description).tag("owner", owner).register(registry);
      return value;
    }
  }
}
