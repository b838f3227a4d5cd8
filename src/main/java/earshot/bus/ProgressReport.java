package earshot.bus;

import earshot.jobs.Lease;
import io.vertx.core.json.JsonObject;

/**
 * {@code {id, token, progress}}: the running stage's own progress, 0–100; the scheduler turns it into the job's
 * ({@code JobStore.progress}).
 */
public record ProgressReport(Lease lease, int progress) {
  public JsonObject toJson() {
    return new JsonObject().put("id", lease.jobId()).put("token", lease.token()).put("progress", progress);
  }

  public static ProgressReport fromJson(JsonObject j) {
    return new ProgressReport(new Lease(j.getLong("id"), j.getLong("token")), j.getInteger("progress"));
  }
}
