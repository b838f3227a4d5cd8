package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {id}}. */
public record CancelJob(long id) {
  public JsonObject toJson() {
    return new JsonObject().put("id", id);
  }

  public static CancelJob fromJson(JsonObject j) {
    return new CancelJob(j.getLong("id"));
  }
}
