package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {granted, active}}: whether the holder holds a place now, and the owner's count after the call. */
public record HoldReply(boolean granted, int active) {
  public JsonObject toJson() {
    return new JsonObject().put("granted", granted).put("active", active);
  }

  public static HoldReply fromJson(JsonObject j) {
    return new HoldReply(j.getBoolean("granted"), j.getInteger("active"));
  }
}
