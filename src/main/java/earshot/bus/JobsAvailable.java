package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {queue}}. */
public record JobsAvailable(String queue) {
  public JsonObject toJson() {
    return new JsonObject().put("queue", queue);
  }

  public static JobsAvailable fromJson(JsonObject j) {
    return new JobsAvailable(j.getString("queue"));
  }
}
