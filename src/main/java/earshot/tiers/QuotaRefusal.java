package earshot.tiers;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

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

  /** The error text a job fails with when its audio does not fit: starts with the quota's name so it can be told. */
  public String jobError() {
    return JOB_ERROR_PREFIX + type.wireName() + ": " + detail;
  }

  /** A job error written by {@link #jobError}, read back: which quota stopped the job, and why. */
  public record JobStopped(String quota, String detail) {
    public static Optional<JobStopped> fromJobError(String error) {
      if (error == null || !error.startsWith(JOB_ERROR_PREFIX)) {
        return Optional.empty();
      }
      String rest = error.substring(JOB_ERROR_PREFIX.length());
      int colon = rest.indexOf(": ");
      return colon < 0 ? Optional.empty()
          : Optional.of(new JobStopped(rest.substring(0, colon), rest.substring(colon + 2)));
    }
  }
}
