package earshot.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * An error in the shape the OpenAI API and its SDKs use, {@code {"error": {"message", "type", "param", "code"}}},
 * served as application/json: the SDKs read only that member, so a problem document reaches their users as "422
 * status code (no body)". Made from an {@link ApiError}, with the same status and message; {@code type} and
 * {@code code} follow OpenAI's names where OpenAI has one, else {@code code} is Earshot's problem type name.
 */
record OpenAiError(int status, String message, String type, String param, String code) {
  static final String CONTENT_TYPE = "application/json";

  static OpenAiError of(ApiError e) {
    String message = e.getMessage() == null ? "HTTP " + e.status() : e.getMessage();
    return new OpenAiError(e.status(), message, type(e), e.field(), code(e.type()));
  }

  private static String type(ApiError e) {
    if (ProblemTypes.QUOTA_EXCEEDED.equals(e.type())) {
      return "insufficient_quota";
    }
    return switch (e.status()) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 429 -> "rate_limit_error";
      default -> e.status() >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  private static String code(String problemType) {
    if (problemType == null || !problemType.startsWith("https://")) {
      return null; // about:blank: a bare status
    }
    return switch (problemType) {
      case ProblemTypes.VALIDATION -> "invalid_value";
      case ProblemTypes.UNAUTHORIZED -> "invalid_api_key";
      case ProblemTypes.RATE_LIMITED -> "rate_limit_exceeded";
      case ProblemTypes.UNKNOWN_MODEL, ProblemTypes.MODEL_NOT_INSTALLED -> "model_not_found";
      default -> problemType.substring(problemType.lastIndexOf('/') + 1);
    };
  }

  JsonObject toJson() {
    return new JsonObject().put("error", new JsonObject().put("message", message).put("type", type)
        .put("param", param).put("code", code));
  }

  /**
   * Answers the request with this error. Once a kept-alive response has sent its 200 headers the status can no
   * longer change, so the error becomes the body that ends it.
   */
  void send(RoutingContext ctx) {
    var response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (!response.headWritten()) {
      response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE);
    }
    response.end(toJson().encode());
  }
}
