package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {owner_user_id}}: a question about one owner (their tier, processing count or usage). */
public record OwnerQuery(String ownerUserId) {
  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", ownerUserId);
  }

  public static OwnerQuery fromJson(JsonObject j) {
    return new OwnerQuery(j.getString("owner_user_id"));
  }
}
