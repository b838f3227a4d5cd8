package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {user_id, tier}}: put a user on a configured tier. */
public record TierChange(String userId, String tier) {
  public JsonObject toJson() {
    return new JsonObject().put("user_id", userId).put("tier", tier);
  }

  public static TierChange fromJson(JsonObject j) {
    return new TierChange(j.getString("user_id"), j.getString("tier"));
  }
}
