package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {owner_user_id, payload, priority, max_retries?, idempotency_key?}}: a new job. {@code max_retries} null
 * means the configured default.
 */
public record SubmitJob(String ownerUserId, JsonObject payload, int priority, Integer maxRetries, String idempotencyKey) {
  public JsonObject toJson() {
    return new JsonObject()
        .put("owner_user_id", ownerUserId)
        .put("payload", payload)
        .put("priority", priority)
        .put("max_retries", maxRetries)
        .put("idempotency_key", idempotencyKey);
  }

  public static SubmitJob fromJson(JsonObject j) {
    return new SubmitJob(j.getString("owner_user_id"), j.getJsonObject("payload", new JsonObject()),
        j.getInteger("priority", 0), j.getInteger("max_retries"), j.getString("idempotency_key"));
  }
}
