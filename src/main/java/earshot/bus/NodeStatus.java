package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code {node_id, deployed, roles: [..], whisper?: {backend, system_info, library, threads_per_job?},
 * model?: ModelStatus}}: whether every verticle of this node's roles is deployed, which whisper library this
 * node's transcriber bound (absent when none is loaded) and, on a node with the gpu role, how many whisper.cpp
 * threads each job decodes with, and, on a node that transcribes, whether its default model can run (absent
 * elsewhere).
 */
public record NodeStatus(String nodeId, boolean deployed, List<String> roles, JsonObject whisper,
                         ModelStatus defaultModel) {
  public NodeStatus(String nodeId, boolean deployed, List<String> roles) {
    this(nodeId, deployed, roles, null, null);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("node_id", nodeId).put("deployed", deployed)
        .put("roles", new JsonArray(List.copyOf(roles)));
    if (whisper != null) {
      j.put("whisper", whisper);
    }
    if (defaultModel != null) {
      j.put("model", defaultModel.toJson());
    }
    return j;
  }

  public static NodeStatus fromJson(JsonObject j) {
    return new NodeStatus(j.getString("node_id"), j.getBoolean("deployed"),
        j.getJsonArray("roles").stream().map(String::valueOf).toList(), j.getJsonObject("whisper"),
        ModelStatus.fromJson(j.getJsonObject("model")));
  }
}
