package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {owner_user_id?}} → {@code {counts_by_status: {status: n}, total, owner_user_id}}. */
public record JobSummary(String ownerUserId) {
  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", ownerUserId);
  }

  public static JobSummary fromJson(JsonObject j) {
    return new JobSummary(j.getString("owner_user_id"));
  }
}
