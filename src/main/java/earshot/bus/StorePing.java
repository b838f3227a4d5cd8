package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {store}}: the kind of store the answering scheduler owns ({@code sqlite} or {@code postgres}). */
public record StorePing(String store) {
  public JsonObject toJson() {
    return new JsonObject().put("store", store);
  }

  public static StorePing fromJson(JsonObject j) {
    return new StorePing(j.getString("store"));
  }
}
