package earshot.metrics;

import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.Deadlines;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The job engine's meters as Prometheus scrapes them. */
class MicrometerJobMetricsTest {
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final JobMetrics metrics = new MicrometerJobMetrics(registry);

  @Test
  void knownQueuesAndStagesAreExportedAtZeroBeforeAnyJob() {
    metrics.registerKnown(List.of("default", "transcribe"), List.of("audio_convert", "audio_transcribe"));
    String scrape = registry.scrape();
    for (String line : List.of(
        "jobs_enqueued_total{queue=\"transcribe\",stage=\"audio_transcribe\"} 0.0",
        "jobs_failed_total{queue=\"default\",reason=\"stage_error\",stage=\"audio_convert\"} 0.0",
        "jobs_reacquired_total{queue=\"default\",stage=\"audio_convert\"} 0.0",
        "jobs_lease_expired_total{stage=\"audio_transcribe\"} 0.0",
        "stage_seconds_count{outcome=\"completed\",stage=\"audio_convert\"} 0",
        "queue_depth{queue=\"transcribe\"} 0.0",
        "queue_oldest_job_age_seconds{queue=\"default\"} 0.0",
        "jobs_oldest_lease_age_seconds 0.0",
        "transcription_real_time_factor_percent_count 0")) {
      assertTrue(scrape.contains(line), line + " in\n" + scrape);
    }
  }

  @Test
  void stageBucketsReachAnHourAndFailuresCarryTheirReason() {
    metrics.stageDuration("audio_transcribe", "completed", Duration.ofMinutes(50));
    metrics.failed("default", "audio_convert", "quota_exceeded");
    metrics.realTimeFactor(0.25);
    metrics.queueAges(Map.of("default", 42.5));
    String scrape = registry.scrape();
    assertTrue(scrape.contains("stage_seconds_bucket{outcome=\"completed\",stage=\"audio_transcribe\",le=\"3600.0\"} 1"),
        scrape);
    assertTrue(scrape.contains("stage_seconds_bucket{outcome=\"completed\",stage=\"audio_transcribe\",le=\"1800.0\"} 0"),
        scrape);
    assertTrue(scrape.contains("jobs_failed_total{queue=\"default\",reason=\"quota_exceeded\",stage=\"audio_convert\"} 1.0"),
        scrape);
    assertTrue(scrape.contains("transcription_real_time_factor_percent_bucket{le=\"30.0\"} 1"), scrape);
    assertTrue(scrape.contains("transcription_real_time_factor_percent_bucket{le=\"20.0\"} 0"), scrape);
    assertTrue(scrape.contains("queue_oldest_job_age_seconds{queue=\"default\"} 42.5"), scrape);
  }

  @Test
  void theOldestLeaseAgeFollowsTheLeasesHeld() {
    metrics.leaseHeld(1);
    metrics.leaseHeld(2);
    earshot.testsupport.Await.until("the lease to age", Deadlines.WAIT, () -> oldestLeaseAge() > 0);
    metrics.leaseEnded(1);
    metrics.leaseEnded(2);
    assertTrue(oldestLeaseAge() == 0.0, registry.scrape());
  }

  private double oldestLeaseAge() {
    Matcher m = Pattern.compile("(?m)^jobs_oldest_lease_age_seconds (\\S+)$").matcher(registry.scrape());
    assertTrue(m.find(), registry.scrape());
    return Double.parseDouble(m.group(1));
  }
}
