package earshot.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Micrometer meters for job events, exported to Prometheus as the gauge {@code job_event_subscribers}. Registered when
 * created, so the gauge is scraped (at 0) before anyone subscribes.
 */
public final class MicrometerEventMetrics implements EventMetrics {
  private final AtomicInteger subscribers = new AtomicInteger();

  public MicrometerEventMetrics(MeterRegistry registry) {
    Gauge.builder("job.event.subscribers", subscribers, AtomicInteger::get)
        .description("WebSocket and SSE job-event subscribers this node is streaming to")
        .register(registry);
  }

  @Override
  public void subscribed() {
    subscribers.incrementAndGet();
  }

  @Override
  public void unsubscribed() {
    subscribers.decrementAndGet();
  }
}
