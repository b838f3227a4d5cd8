package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {owner_user_id, payload, priority, max_retries?, idempotency_key?, uuid?}}: a new job. {@code max_retries}
 * null means the configured default; {@code uuid} null means the scheduler picks one (the HTTP API picks it itself
 * when it has already stored an upload under the job's workspace).
 */
public record SubmitJob(String ownerUserId, JsonObject payload, int priority, Integer maxRetries, String idempotencyKey,
                        String uuid) {
  public SubmitJob(String ownerUserId, JsonObject payload, int priority, Integer maxRetries, String idempotencyKey) {
    this(ownerUserId, payload, priority, maxRetries, idempotencyKey, null);
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("owner_user_id", ownerUserId)
        .put("payload", payload)
        .put("priority", priority)
        .put("max_retries", maxRetries)
        .put("idempotency_key", idempotencyKey)
        .put("uuid", uuid);
  }

  public static SubmitJob fromJson(JsonObject j) {
    return new SubmitJob(j.getString("owner_user_id"), j.getJsonObject("payload", new JsonObject()),
        j.getInteger("priority", 0), j.getInteger("max_retries"), j.getString("idempotency_key"), j.getString("uuid"));
  }
}
