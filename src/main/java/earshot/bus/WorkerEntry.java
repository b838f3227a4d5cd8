package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code {worker, node_id, role, queues, models}}: one live stage runner, as it lists itself in
 * {@link Addresses#WORKERS_MAP}: the queues it asks for and, for a transcriber, the models it holds.
 */
public record WorkerEntry(String worker, String nodeId, String role, List<String> queues, List<String> models) {
  public JsonObject toJson() {
    return new JsonObject().put("worker", worker).put("node_id", nodeId).put("role", role)
        .put("queues", new JsonArray(queues)).put("models", new JsonArray(models));
  }

  @SuppressWarnings("unchecked")
  public static WorkerEntry fromJson(JsonObject j) {
    return new WorkerEntry(j.getString("worker"), j.getString("node_id"), j.getString("role"),
        List.copyOf(j.getJsonArray("queues", new JsonArray()).getList()),
        List.copyOf(j.getJsonArray("models", new JsonArray()).getList()));
  }
}
