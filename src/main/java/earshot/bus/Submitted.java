package earshot.bus;

import earshot.jobs.Job;
import earshot.tiers.QuotaRefusal;
import io.vertx.core.json.JsonObject;

/**
 * {@code {job, created}}: the submitted job; {@code created=false} when an idempotency key matched an earlier job.
 * {@code {refusal}} instead when the owner's tier refused the submission (no job was created).
 */
public record Submitted(Job job, boolean created, QuotaRefusal refusal) {
  public JsonObject toJson() {
    return new JsonObject().put("job", job == null ? null : job.toJson()).put("created", created)
        .put("refusal", refusal == null ? null : refusal.toJson());
  }

  public static Submitted fromJson(JsonObject j) {
    JsonObject job = j.getJsonObject("job");
    return new Submitted(job == null ? null : Job.fromJson(job), j.getBoolean("created"),
        QuotaRefusal.fromJson(j.getJsonObject("refusal")));
  }
}
