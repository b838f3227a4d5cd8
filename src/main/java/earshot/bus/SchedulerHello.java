package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {node_id, store}}: a scheduler's node and the kind of store it owns ({@code sqlite} or {@code postgres}). */
public record SchedulerHello(String nodeId, String store) {
  public JsonObject toJson() {
    return new JsonObject().put("node_id", nodeId).put("store", store);
  }

  public static SchedulerHello fromJson(JsonObject j) {
    return new SchedulerHello(j.getString("node_id"), j.getString("store"));
  }
}
