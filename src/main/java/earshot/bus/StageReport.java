package earshot.bus;

import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * {@code {worker, id, token, stage, retry_count, outcome, payload?, result?, error?, failure?, retry_after_ms?}}: how
 * one stage run ended. {@code outcome} is {@code completed} (with the job's updated payload, and a result after the
 * last stage), {@code retry}, {@code fail} (with {@code failure} {code, fields}, a {@code JobFailure}, when the failure
 * has a typed reason) or {@code release} (given back unfinished, without penalty).
 */
public record StageReport(
    String worker, Lease lease, JobStage stage, int retryCount, Outcome outcome,
    JsonObject payload, JsonObject result, String error, JobFailure failure, Long retryAfterMs) {

  /** A report without a typed failure. */
  public StageReport(String worker, Lease lease, JobStage stage, int retryCount, Outcome outcome, JsonObject payload,
                     JsonObject result, String error, Long retryAfterMs) {
    this(worker, lease, stage, retryCount, outcome, payload, result, error, null, retryAfterMs);
  }

  public enum Outcome {
    COMPLETED, RETRY, FAIL, RELEASE;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("worker", worker).put("id", lease.jobId()).put("token", lease.token())
        .put("stage", stage.wireName()).put("retry_count", retryCount).put("outcome", outcome.wireName())
        .put("payload", payload).put("result", result).put("error", error)
        .put("failure", failure == null ? null : failure.toJson()).put("retry_after_ms", retryAfterMs);
  }

  public static StageReport fromJson(JsonObject j) {
    return new StageReport(j.getString("worker"), new Lease(j.getLong("id"), j.getLong("token")),
        JobStage.fromWire(j.getString("stage")), j.getInteger("retry_count", 0),
        Outcome.valueOf(j.getString("outcome").toUpperCase(Locale.ROOT)),
        j.getJsonObject("payload"), j.getJsonObject("result"), j.getString("error"),
        JobFailure.fromJson(j.getJsonObject("failure")), j.getLong("retry_after_ms"));
  }
}
