package earshot.jobs;

import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Per-queue counts, and how long the oldest queued job has waited. */
public record QueueStats(String queue, long queued, long processing, double oldestQueuedAgeSeconds) {
  /**
   * {@code counted} (the queues that have unfinished jobs) with a zero row for every configured queue that has none,
   * sorted by queue name, so an idle queue is listed too.
   */
  public static List<QueueStats> withConfigured(List<QueueStats> counted, Collection<String> configured) {
    Map<String, QueueStats> all = new TreeMap<>();
    configured.forEach(q -> all.put(q, new QueueStats(q, 0, 0, 0)));
    counted.forEach(s -> all.put(s.queue(), s));
    return List.copyOf(all.values());
  }

  /** {@code counted} queued-job counts with a 0 for every configured queue that has none. */
  public static Map<String, Long> depthsWithConfigured(Map<String, Long> counted, Collection<String> configured) {
    Map<String, Long> all = new TreeMap<>(counted);
    configured.forEach(q -> all.putIfAbsent(q, 0L));
    return all;
  }

  public JsonObject toJson() {
    return new JsonObject().put("queue", queue).put("queued", queued).put("processing", processing)
        .put("oldest_queued_age_seconds", oldestQueuedAgeSeconds);
  }

  public static QueueStats fromJson(JsonObject j) {
    return new QueueStats(j.getString("queue"), j.getLong("queued"), j.getLong("processing"),
        j.getDouble("oldest_queued_age_seconds"));
  }
}
