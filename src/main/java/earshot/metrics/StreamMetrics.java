package earshot.metrics;

/**
 * The live-stream meters (the count of open streams is {@code audio_active_streams}, kept by {@link QuotaMetrics}
 * from the stream counters): latency from audio's arrival to the first partial and to the final that covers it,
 * seconds of audio received, and streams closed by reason. Implementations are thread-safe.
 */
public interface StreamMetrics {
  /** Why a stream closed: the label values of {@code stream_closed_total}. */
  enum CloseReason {
    END, CLIENT_GONE, IDLE_TIMEOUT, QUOTA_EXCEEDED, PROTOCOL_ERROR, SERVER_ERROR;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  void firstPartial(double seconds);

  void finalLatency(double seconds);

  void audioSeconds(double seconds);

  void closed(CloseReason reason);
}
