package earshot.api;

import earshot.tiers.QuotaRefusal;
import io.vertx.core.json.JsonObject;

/**
 * A client-visible failure: the HTTP status, the problem type and, for validation errors, the offending field.
 * Thrown (or failed into a future) anywhere in the API and turned into one {@link Problem} by the failure handler.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;
  private final String title;
  private final String field;
  private final JsonObject extensions;
  private final Long retryAfterSeconds;

  public ApiError(int status, String type, String title, String detail, String field) {
    this(status, type, title, detail, field, null, null);
  }

  private ApiError(int status, String type, String title, String detail, String field, JsonObject extensions,
                   Long retryAfterSeconds) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.field = field;
    this.extensions = extensions;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * 429 quota_exceeded: a tier limit refused the request. The problem carries {@code quota} (which limit),
   * {@code tier}, {@code limit} and {@code used}, and answers with {@code Retry-After} when waiting helps.
   */
  public static ApiError quotaExceeded(QuotaRefusal refusal) {
    JsonObject ext = new JsonObject().put("quota", refusal.type().wireName()).put("tier", refusal.tier())
        .put("limit", refusal.limit()).put("used", refusal.used());
    if (refusal.retryAfterSeconds() != null) {
      ext.put("retry_after_seconds", refusal.retryAfterSeconds());
    }
    return new ApiError(429, ProblemTypes.QUOTA_EXCEEDED, "Quota Exceeded", refusal.detail(), null, ext,
        refusal.retryAfterSeconds());
  }

  /** 429 quota_exceeded for a job a tier limit stopped after it was accepted: only the quota's name is known. */
  public static ApiError quotaExceeded(String quota, String detail) {
    return new ApiError(429, ProblemTypes.QUOTA_EXCEEDED, "Quota Exceeded", detail, null,
        new JsonObject().put("quota", quota), null);
  }

  /** 429 rate_limited: the caller's token bucket is empty; answered with {@code Retry-After}. */
  public static ApiError rateLimited(long retryAfterSeconds) {
    return new ApiError(429, ProblemTypes.RATE_LIMITED, "Too Many Requests",
        "rate limit exceeded; retry after " + retryAfterSeconds + " s", null, null, retryAfterSeconds);
  }

  public static ApiError unprocessable(String field, String detail) {
    return new ApiError(422, ProblemTypes.VALIDATION, "Unprocessable Content", field + ": " + detail, field);
  }

  public static ApiError invalid(String field, String detail) {
    return new ApiError(400, ProblemTypes.VALIDATION, "Invalid request", field + ": " + detail, field);
  }

  public static ApiError notFound(String detail) {
    return new ApiError(404, ProblemTypes.NOT_FOUND, "Not Found", detail, null);
  }

  public static ApiError conflict(String detail) {
    return new ApiError(409, ProblemTypes.CONFLICT, "Conflict", detail, null);
  }

  public static ApiError unauthorized(String detail) {
    return new ApiError(401, ProblemTypes.UNAUTHORIZED, "Unauthorized", detail, null);
  }

  public static ApiError forbidden(String detail) {
    return new ApiError(403, ProblemTypes.FORBIDDEN, "Forbidden", detail, null);
  }

  public static ApiError unavailable(String detail) {
    return new ApiError(503, ProblemTypes.UNAVAILABLE, "Service Unavailable", detail, null);
  }

  /**
   * 507 insufficient_storage: the server's disk has no room for the request (an upload, or the job it would store).
   * Not the caller's fault; the same request can succeed once space is freed.
   */
  public static ApiError insufficientStorage(String detail) {
    return new ApiError(507, ProblemTypes.INSUFFICIENT_STORAGE, "Insufficient Storage", detail, null);
  }

  /** Seconds the caller should wait before asking again (the {@code Retry-After} header), or null. */
  public Long retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public int status() {
    return status;
  }

  /** The problem {@code type} URI (one of {@link ProblemTypes}, or about:blank). */
  public String type() {
    return type;
  }

  /** The offending input of a validation error, or null. */
  public String field() {
    return field;
  }

  public Problem problem() {
    return new Problem(type, title, status, getMessage(), field, extensions);
  }
}
