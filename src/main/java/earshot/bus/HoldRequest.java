package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {kind, owner_user_id, holder, limit}}: take a place for {@code holder} (a job's or stream's id) in the
 * owner's {@code kind} counter ({@code jobs} or {@code streams}) when fewer than {@code limit} holders have one.
 */
public record HoldRequest(String kind, String owner, String holder, int limit) {
  public JsonObject toJson() {
    return new JsonObject().put("kind", kind).put("owner_user_id", owner).put("holder", holder).put("limit", limit);
  }

  public static HoldRequest fromJson(JsonObject j) {
    return new HoldRequest(j.getString("kind"), j.getString("owner_user_id"), j.getString("holder"),
        j.getInteger("limit", -1));
  }
}
