package earshot.bus;

import earshot.jobs.Job;
import io.vertx.core.json.JsonObject;

/** {@code {job, created}}: the submitted job; {@code created=false} when an idempotency key matched an earlier job. */
public record Submitted(Job job, boolean created) {
  public JsonObject toJson() {
    return new JsonObject().put("job", job.toJson()).put("created", created);
  }

  public static Submitted fromJson(JsonObject j) {
    return new Submitted(Job.fromJson(j.getJsonObject("job")), j.getBoolean("created"));
  }
}
