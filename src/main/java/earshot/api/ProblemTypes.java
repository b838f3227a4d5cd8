package earshot.api;

/** Problem {@code type} URIs: one per kind of error, documented at the same address. */
public final class ProblemTypes {
  private ProblemTypes() {}

  private static final String BASE = "https://earshot.dev/problems/";

  public static final String VALIDATION = BASE + "validation";
  public static final String NOT_FOUND = BASE + "not_found";
  public static final String GONE = BASE + "gone";
  public static final String CONFLICT = BASE + "conflict";
  public static final String UNAUTHORIZED = BASE + "unauthorized";
  public static final String FORBIDDEN = BASE + "forbidden";
  public static final String PAYLOAD_TOO_LARGE = BASE + "payload_too_large";
  /** A request body that stalled or came in below the configured minimum rate. */
  public static final String REQUEST_TIMEOUT = BASE + "request_timeout";
  public static final String UNSUPPORTED_MEDIA = BASE + "unsupported_media_type";
  public static final String UNAVAILABLE = BASE + "unavailable";
  public static final String INSUFFICIENT_STORAGE = BASE + "insufficient_storage";
  public static final String METHOD_NOT_ALLOWED = BASE + "method_not_allowed";
  public static final String INTERNAL = BASE + "internal";
  public static final String RATE_LIMITED = BASE + "rate_limited";
  public static final String TRANSCRIPTION_FAILED = BASE + "transcription_failed";
  public static final String UNKNOWN_MODEL = BASE + "unknown_model";
  public static final String MODEL_NOT_INSTALLED = BASE + "model_not_installed";
  public static final String QUOTA_EXCEEDED = BASE + "quota_exceeded";
}
