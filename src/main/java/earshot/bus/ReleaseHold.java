package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {kind, owner_user_id, holder}}: free the holder's place in the owner's {@code kind} counter. */
public record ReleaseHold(String kind, String owner, String holder) {
  public JsonObject toJson() {
    return new JsonObject().put("kind", kind).put("owner_user_id", owner).put("holder", holder);
  }

  public static ReleaseHold fromJson(JsonObject j) {
    return new ReleaseHold(j.getString("kind"), j.getString("owner_user_id"), j.getString("holder"));
  }
}
