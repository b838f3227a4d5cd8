package earshot.tiers;

import io.vertx.core.json.JsonObject;

/**
 * A limit said no: which one, for which tier, the limit and what is in use, a sentence for people, and when asking
 * again can succeed ({@code retryAfterSeconds}, null when only a change of tier or finished work helps).
 */
public record QuotaRefusal(QuotaType type, String tier, double limit, double used, String detail,
                           Long retryAfterSeconds) {

  public JsonObject toJson() {
    return new JsonObject().put("quota", type.wireName()).put("tier", tier).put("limit", limit).put("used", used)
        .put("detail", detail).put("retry_after_seconds", retryAfterSeconds);
  }

  public static QuotaRefusal fromJson(JsonObject j) {
    return j == null ? null : new QuotaRefusal(QuotaType.fromWire(j.getString("quota")), j.getString("tier"),
        j.getDouble("limit"), j.getDouble("used"), j.getString("detail"), j.getLong("retry_after_seconds"));
  }

  private static final String JOB_ERROR_PREFIX = "quota_exceeded: ";

  /** The error text a job fails with when its audio does not fit, for people; the APIs read its {@code JobFailure}. */
  public String jobError() {
    return JOB_ERROR_PREFIX + type.wireName() + ": " + detail;
  }
}
