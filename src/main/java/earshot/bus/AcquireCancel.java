package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {worker}}. */
public record AcquireCancel(String worker) {
  public JsonObject toJson() {
    return new JsonObject().put("worker", worker);
  }

  public static AcquireCancel fromJson(JsonObject j) {
    return new AcquireCancel(j.getString("worker"));
  }
}
