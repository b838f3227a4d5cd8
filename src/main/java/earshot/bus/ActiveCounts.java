package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {owner_user_id}}: ask for the owner's active job and stream counts; answered by {@link ActiveCountsReply}. */
public record ActiveCounts(String owner) {
  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", owner);
  }

  public static ActiveCounts fromJson(JsonObject j) {
    return new ActiveCounts(j.getString("owner_user_id"));
  }
}
