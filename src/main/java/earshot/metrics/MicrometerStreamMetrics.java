package earshot.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * Micrometer meters for live streams, exported to Prometheus as {@code stream_first_partial_seconds},
 * {@code stream_final_latency_seconds} (histograms with buckets from 50 ms to 10 s), {@code stream_audio_seconds_total}
 * and {@code stream_closed_total{reason}}. Registered when created, so every series is scraped at 0 from start-up.
 */
public final class MicrometerStreamMetrics implements StreamMetrics {
  private static final double[] BUCKETS = {0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10};
  private final DistributionSummary firstPartial;
  private final DistributionSummary finalLatency;
  private final Counter audio;
  private final Map<CloseReason, Counter> closed = new EnumMap<>(CloseReason.class);

  public MicrometerStreamMetrics(MeterRegistry registry) {
    firstPartial = latency(registry, "stream.first.partial",
        "From the arrival of a stream's first speech to the first partial covering it");
    finalLatency = latency(registry, "stream.final.latency",
        "From the arrival of audio to the final that covers it");
    audio = Counter.builder("stream.audio.seconds").description("Seconds of audio received on live streams")
        .register(registry);
    for (CloseReason r : CloseReason.values()) {
      closed.put(r, Counter.builder("stream.closed").description("Live streams closed, by reason")
          .tag("reason", r.label()).register(registry));
    }
  }

  private static DistributionSummary latency(MeterRegistry registry, String name, String description) {
    return DistributionSummary.builder(name).baseUnit("seconds").description(description)
        .serviceLevelObjectives(BUCKETS).register(registry);
  }

  @Override
  public void firstPartial(double seconds) {
    firstPartial.record(seconds);
  }

  @Override
  public void finalLatency(double seconds) {
    finalLatency.record(seconds);
  }

  @Override
  public void audioSeconds(double seconds) {
    audio.increment(seconds);
  }

  @Override
  public void closed(CloseReason reason) {
    closed.get(reason).increment();
  }
}
