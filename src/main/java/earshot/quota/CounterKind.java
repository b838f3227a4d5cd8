package earshot.quota;

/** What an owner holds at once: running jobs or open live streams. Each kind has its own Redis key per owner. */
public enum CounterKind {
  JOBS("jobs", "audio:active_jobs:"),
  STREAMS("streams", "audio:active_streams:");

  private final String wireName;
  private final String keyPrefix;

  CounterKind(String wireName, String keyPrefix) {
    this.wireName = wireName;
    this.keyPrefix = keyPrefix;
  }

  /** The name on the event bus: {@code jobs} or {@code streams}. */
  public String wireName() {
    return wireName;
  }

  /** The Redis key of one owner's holders: {@code audio:active_jobs:{owner}} or {@code audio:active_streams:{owner}}. */
  public String redisKey(String owner) {
    return keyPrefix + owner;
  }

  /** The kind with this wire name; IllegalArgumentException for anything else. */
  public static CounterKind fromWire(String name) {
    for (CounterKind kind : values()) {
      if (kind.wireName.equals(name)) {
        return kind;
      }
    }
    throw new IllegalArgumentException("unknown counter kind: " + name + " (expected jobs or streams)");
  }
}
