package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {owner_user_id, seconds}} ({@link Addresses#QUOTA_STREAM_USAGE}): a live stream received {@code seconds}
 * more audio, to be added to the owner's used minutes today (UTC). {@code seconds} 0 only asks what is left.
 */
public record StreamUsage(String ownerUserId, double seconds) {
  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", ownerUserId).put("seconds", seconds);
  }

  public static StreamUsage fromJson(JsonObject j) {
    return new StreamUsage(j.getString("owner_user_id"), j.getDouble("seconds", 0.0));
  }

  /**
   * The reply: {@code {seconds_left}}, what the owner may still use today after this addition (null: no daily
   * limit; 0 or less: the budget ran out).
   */
  public record Left(Double secondsLeft) {
    public JsonObject toJson() {
      return new JsonObject().put("seconds_left", secondsLeft);
    }

    public static Left fromJson(JsonObject j) {
      return new Left(j.getDouble("seconds_left"));
    }

    public boolean exhausted() {
      return secondsLeft != null && secondsLeft <= 0;
    }
  }
}
