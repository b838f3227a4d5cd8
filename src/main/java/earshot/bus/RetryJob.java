package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {id}}. */
public record RetryJob(long id) {
  public JsonObject toJson() {
    return new JsonObject().put("id", id);
  }

  public static RetryJob fromJson(JsonObject j) {
    return new RetryJob(j.getLong("id"));
  }
}
