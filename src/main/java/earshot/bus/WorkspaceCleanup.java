package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {uuid}}: the job whose temporary files may be deleted. */
public record WorkspaceCleanup(String uuid) {
  public JsonObject toJson() {
    return new JsonObject().put("uuid", uuid);
  }

  public static WorkspaceCleanup fromJson(JsonObject j) {
    return new WorkspaceCleanup(j.getString("uuid"));
  }
}
