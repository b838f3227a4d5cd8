package earshot.bus;

import earshot.jobs.DeliveryAttempt;
import io.vertx.core.json.JsonObject;

/**
 * {@code {job_id, delivery_id, event, url, attempt, status_code, error, duration_ms}}: one webhook delivery attempt
 * to record, sent on {@link Addresses#JOBS_DELIVERY_RECORD}; the reply is {@code {recorded}}.
 */
public record RecordDelivery(DeliveryAttempt attempt) {
  public JsonObject toJson() {
    return attempt.toJson();
  }

  public static RecordDelivery fromJson(JsonObject j) {
    return new RecordDelivery(DeliveryAttempt.fromJson(j));
  }

  /** The reply's {@code recorded}: false when another node had already recorded this attempt. */
  public static boolean recorded(JsonObject reply) {
    return reply.getBoolean("recorded", false);
  }
}
