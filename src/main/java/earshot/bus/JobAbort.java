package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {id, reason}}: {@code reason} is {@code cancelled} or {@code lease_lost}. */
public record JobAbort(long id, String reason) {
  public static final String CANCELLED = "cancelled";

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("reason", reason);
  }

  public static JobAbort fromJson(JsonObject j) {
    return new JobAbort(j.getLong("id"), j.getString("reason"));
  }
}
