package earshot.metrics;

/**
 * The job-event meters: how many WebSocket and SSE subscribers this node is streaming job events to. Implementations
 * are thread-safe (the HTTP verticle's instances share one).
 */
public interface EventMetrics {
  /** A subscriber started streaming. */
  void subscribed();

  /** A subscriber's stream ended, however it ended. */
  void unsubscribed();
}
