package earshot.jobs;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One attempt to deliver a job's terminal event to its {@code callback_url}: which delivery (stable across its
 * retries), which attempt (1-based), and how it went: the HTTP status, or the error when there was no 2xx answer
 * (a refused address, a timeout, a non-2xx status). {@code createdAt} is set by the store; null before it is recorded.
 */
public record DeliveryAttempt(long jobId, String deliveryId, String event, String url, int attempt,
                              Integer statusCode, String error, long durationMs, Instant createdAt) {

  public JsonObject toJson() {
    return new JsonObject().put("job_id", jobId).put("delivery_id", deliveryId).put("event", event).put("url", url)
        .put("attempt", attempt).put("status_code", statusCode).put("error", error).put("duration_ms", durationMs)
        .put("created_at", createdAt == null ? null : createdAt.toString());
  }

  public static DeliveryAttempt fromJson(JsonObject j) {
    String created = j.getString("created_at");
    return new DeliveryAttempt(j.getLong("job_id"), j.getString("delivery_id"), j.getString("event"),
        j.getString("url"), j.getInteger("attempt"), j.getInteger("status_code"), j.getString("error"),
        j.getLong("duration_ms", 0L), created == null ? null : Instant.parse(created));
  }
}
