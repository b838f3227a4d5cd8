package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {id}}. */
public record GetJob(long id) {
  public JsonObject toJson() {
    return new JsonObject().put("id", id);
  }

  public static GetJob fromJson(JsonObject j) {
    return new GetJob(j.getLong("id"));
  }
}
