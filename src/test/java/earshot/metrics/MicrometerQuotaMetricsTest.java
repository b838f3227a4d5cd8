package earshot.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The quota meters as Prometheus scrapes them, with and without owner labels. */
class MicrometerQuotaMetricsTest {
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void ownerLabelsGiveOneSeriesPerOwner() {
    QuotaMetrics metrics = new MicrometerQuotaMetrics(registry, true);
    metrics.activeJobs("alice", 2);
    metrics.activeJobs("bob", 1);
    metrics.activeJobs("bob", 0);
    metrics.activeStreams("alice", 3);

    String scrape = registry.scrape();
    assertTrue(scrape.contains("audio_active_jobs{owner=\"alice\"} 2"), scrape);
    assertTrue(scrape.contains("audio_active_jobs{owner=\"bob\"} 0"), scrape);
    assertTrue(scrape.contains("audio_active_streams{owner=\"alice\"} 3"), scrape);
  }

  @Test
  void aFreshNodeExportsEveryQuotaNameAtZero() {
    QuotaMetrics metrics = new MicrometerQuotaMetrics(registry, true);
    String scrape = registry.scrape();
    assertTrue(scrape.contains("audio_active_jobs{owner=\"\"} 0"), scrape);
    assertTrue(scrape.contains("audio_active_streams{owner=\"\"} 0"), scrape);
    for (String type : List.of("daily_minutes", "max_file_minutes", "concurrent_streams", "concurrent_jobs",
        "queued_jobs")) {
      assertTrue(scrape.contains("audio_quota_hits_total{type=\"" + type + "\"} 0.0"), type + "\n" + scrape);
    }
    assertTrue(scrape.contains("redis_errors_total 0.0"), scrape);
    metrics.redisError();
    metrics.redisError();
    assertTrue(registry.scrape().contains("redis_errors_total 2.0"), registry.scrape());
  }

  @Test
  void withoutOwnerLabelsTheGaugesShowTheNodeTotal() {
    QuotaMetrics metrics = new MicrometerQuotaMetrics(registry, false);
    metrics.activeJobs("alice", 2);
    metrics.activeJobs("bob", 1);
    metrics.activeJobs("carol", 4);
    metrics.activeJobs("carol", 0);

    String scrape = registry.scrape();
    assertTrue(scrape.contains("audio_active_jobs 3"), scrape);
    assertTrue(scrape.contains("audio_active_streams 0"), scrape);
    assertFalse(scrape.contains("owner="), scrape);
  }

  @Test
  void quotaHitsCountByTypeAndFallbackIsZeroOrOne() {
    QuotaMetrics metrics = new MicrometerQuotaMetrics(registry, false);
    assertTrue(registry.scrape().contains("audio_redis_fallback 0"));

    metrics.quotaHit(QuotaMetrics.CONCURRENT_JOBS);
    metrics.quotaHit(QuotaMetrics.CONCURRENT_JOBS);
    metrics.quotaHit(QuotaMetrics.DAILY_MINUTES);
    metrics.redisFallback(true);

    String scrape = registry.scrape();
    assertTrue(scrape.contains("audio_quota_hits_total{type=\"concurrent_jobs\"} 2"), scrape);
    assertTrue(scrape.contains("audio_quota_hits_total{type=\"daily_minutes\"} 1"), scrape);
    assertTrue(scrape.contains("audio_redis_fallback 1"), scrape);
  }

  @Test
  void reportsFromManyThreadsAddUp() throws Exception {
    QuotaMetrics metrics = new MicrometerQuotaMetrics(registry, true);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int n = t;
        done.add(threads.submit(() -> {
          for (int i = 0; i < 1000; i++) {
            metrics.activeJobs("owner-" + n, i);
            metrics.quotaHit(QuotaMetrics.QUEUED_JOBS);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      threads.shutdown();
    }

    String scrape = registry.scrape();
    assertTrue(scrape.contains("audio_quota_hits_total{type=\"queued_jobs\"} 8000"), scrape);
    for (int t = 0; t < 8; t++) {
      assertTrue(scrape.contains("audio_active_jobs{owner=\"owner-" + t + "\"} 999"), scrape);
    }
  }
}
