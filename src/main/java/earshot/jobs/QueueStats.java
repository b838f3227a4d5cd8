package earshot.jobs;

import io.vertx.core.json.JsonObject;

/** Per-queue counts, and how long the oldest queued job has waited. */
public record QueueStats(String queue, long queued, long processing, double oldestQueuedAgeSeconds) {
  public JsonObject toJson() {
    return new JsonObject().put("queue", queue).put("queued", queued).put("processing", processing)
        .put("oldest_queued_age_seconds", oldestQueuedAgeSeconds);
  }

  public static QueueStats fromJson(JsonObject j) {
    return new QueueStats(j.getString("queue"), j.getLong("queued"), j.getLong("processing"),
        j.getDouble("oldest_queued_age_seconds"));
  }
}
