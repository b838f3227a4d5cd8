package earshot.jobs;

import io.vertx.core.json.JsonObject;

/** What a runner holds while it runs a stage: the job and the fencing token it was leased with. */
public record Lease(long jobId, long token) {
  public JsonObject toJson() {
    return new JsonObject().put("id", jobId).put("token", token);
  }

  public static Lease fromJson(JsonObject j) {
    return new Lease(j.getLong("id"), j.getLong("token"));
  }
}
