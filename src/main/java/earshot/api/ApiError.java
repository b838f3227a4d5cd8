package earshot.api;

/**
 * A client-visible failure: the HTTP status, the problem type and, for validation errors, the offending field.
 * Thrown (or failed into a future) anywhere in the API and turned into one {@link Problem} by the failure handler.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String type;
  private final String title;
  private final String field;

  public ApiError(int status, String type, String title, String detail, String field) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.field = field;
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

  public int status() {
    return status;
  }

  public Problem problem() {
    return new Problem(type, title, status, getMessage(), field);
  }
}
