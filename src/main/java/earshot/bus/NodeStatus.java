package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** {@code {node_id, deployed, roles: [..]}}: whether every verticle of this node's roles is deployed. */
public record NodeStatus(String nodeId, boolean deployed, List<String> roles) {
  public JsonObject toJson() {
    return new JsonObject().put("node_id", nodeId).put("deployed", deployed).put("roles", new JsonArray(List.copyOf(roles)));
  }

  public static NodeStatus fromJson(JsonObject j) {
    return new NodeStatus(j.getString("node_id"), j.getBoolean("deployed"),
        j.getJsonArray("roles").stream().map(String::valueOf).toList());
  }
}
