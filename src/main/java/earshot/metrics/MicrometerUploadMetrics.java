package earshot.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Micrometer meters for uploads, exported to Prometheus as {@code audio_upload_orphans_removed_total}. Registered
 * when created, so the counter is scraped (at 0) before the first sweep removes anything.
 */
public final class MicrometerUploadMetrics implements UploadMetrics {
  private final Counter orphansRemoved;

  public MicrometerUploadMetrics(MeterRegistry registry) {
    this.orphansRemoved = Counter.builder("audio.upload.orphans.removed")
        .description("Files the orphan sweep removed from the upload staging directory")
        .register(registry);
  }

  @Override
  public void orphansRemoved(int count) {
    orphansRemoved.increment(count);
  }
}
