package earshot.bus;

import earshot.jobs.DeliveryAttempt;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** {@code {job_id}}: the webhook delivery attempts of one job, asked on {@link Addresses#JOBS_DELIVERIES}. */
public record ListDeliveries(long jobId) {
  public JsonObject toJson() {
    return new JsonObject().put("job_id", jobId);
  }

  public static ListDeliveries fromJson(JsonObject j) {
    return new ListDeliveries(j.getLong("job_id"));
  }

  /** The reply: {@code {deliveries: [DeliveryAttempt]}}, oldest first. */
  public static JsonObject reply(List<DeliveryAttempt> attempts) {
    JsonArray arr = new JsonArray();
    attempts.forEach(a -> arr.add(a.toJson()));
    return new JsonObject().put("deliveries", arr);
  }

  /** Reads {@link #reply} back. */
  public static List<DeliveryAttempt> attempts(JsonObject reply) {
    List<DeliveryAttempt> out = new ArrayList<>();
    reply.getJsonArray("deliveries", new JsonArray()).forEach(o -> out.add(DeliveryAttempt.fromJson((JsonObject) o)));
    return out;
  }
}
