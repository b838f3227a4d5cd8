package earshot.jobs;

import earshot.tiers.QuotaRefusal;
import io.vertx.core.json.JsonObject;

/**
 * Why a job failed, as a value an API maps to a status: a {@code code} and the fields that code carries. It travels
 * beside the job's {@code error} (the sentence for people, which stays as it is) on the stage report, in the store's
 * {@code failure} column and in the job's JSON, so that no one reads the reason back out of the sentence. A failure
 * with nothing to tell an API apart (bad input, a stage that gave up) has none.
 *
 * @param code   {@link #QUOTA_EXCEEDED} (fields {@code quota}, {@code detail}) or {@link #MODEL_NOT_INSTALLED}
 *               (field {@code detail})
 * @param fields the code's fields
 */
public record JobFailure(String code, JsonObject fields) {
  /** A tier limit stopped the job: {@code quota} names the limit (a {@code QuotaType} wire name). */
  public static final String QUOTA_EXCEEDED = "quota_exceeded";
  /** The job's model is not installed on the transcribing node. */
  public static final String MODEL_NOT_INSTALLED = "model_not_installed";

  public JobFailure {
    fields = fields == null ? new JsonObject() : fields;
  }

  public static JobFailure quotaExceeded(String quota, String detail) {
    return new JobFailure(QUOTA_EXCEEDED, new JsonObject().put("quota", quota).put("detail", detail));
  }

  /** The failure of a job that a tier limit stopped. */
  public static JobFailure of(QuotaRefusal refusal) {
    return quotaExceeded(refusal.type().wireName(), refusal.detail());
  }

  public static JobFailure modelNotInstalled(String detail) {
    return new JobFailure(MODEL_NOT_INSTALLED, new JsonObject().put("detail", detail));
  }

  public boolean is(String code) {
    return this.code.equals(code);
  }

  /** The sentence of the failure without the code, as the APIs answer it. */
  public String detail() {
    return fields.getString("detail");
  }

  /** The limit that stopped a {@link #QUOTA_EXCEEDED} job. */
  public String quota() {
    return fields.getString("quota");
  }

  public JsonObject toJson() {
    return new JsonObject().put("code", code).put("fields", fields.copy());
  }

  /** Null for null: most failed jobs, and every job that has not failed, have none. */
  public static JobFailure fromJson(JsonObject j) {
    return j == null ? null : new JobFailure(j.getString("code"), j.getJsonObject("fields"));
  }
}
