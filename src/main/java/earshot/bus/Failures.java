package earshot.bus;

/** {@code ReplyException.failureCode()} values used on the bus; they mirror the HTTP status the API maps them to. */
public final class Failures {
  private Failures() {}

  public static final int BAD_REQUEST = 400;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int UNPROCESSABLE = 422;
  /** A tier limit refused the command; the failure message is the {@code QuotaRefusal} as JSON. */
  public static final int QUOTA_EXCEEDED = 429;
  public static final int UNAVAILABLE = 503;
  /** The store's disk is full: the command could not be stored, and can be once space is freed. */
  public static final int INSUFFICIENT_STORAGE = 507;
}
