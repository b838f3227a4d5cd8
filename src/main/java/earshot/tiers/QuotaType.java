package earshot.tiers;

/** What limit a request or job ran into; the wire name is the {@code quota} field and the metric's type label. */
public enum QuotaType {
  DAILY_MINUTES, CONCURRENT_STREAMS, CONCURRENT_JOBS, QUEUED_JOBS, MAX_FILE_MINUTES;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static QuotaType fromWire(String s) {
    return valueOf(s.toUpperCase(java.util.Locale.ROOT));
  }
}
