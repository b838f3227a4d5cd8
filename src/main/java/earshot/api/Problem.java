package earshot.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * An RFC 9457 problem document; {@code field} names the offending input of a validation error, and {@code extensions}
 * (may be null) adds members of its own, such as a quota refusal's {@code quota}, {@code limit} and {@code used}.
 */
public record Problem(String type, String title, int status, String detail, String field, JsonObject extensions) {
  public static final String CONTENT_TYPE = "application/problem+json";

  public Problem(String type, String title, int status, String detail, String field) {
    this(type, title, status, detail, field, null);
  }

  public static Problem of(int status, String type, String title, String detail) {
    return new Problem(type, title, status, detail, null);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type).put("title", title).put("status", status);
    if (detail != null) {
      json.put("detail", detail);
    }
    if (field != null) {
      json.put("field", field);
    }
    if (extensions != null) {
      extensions.forEach(e -> json.put(e.getKey(), e.getValue()));
    }
    return json;
  }

  public void send(RoutingContext ctx) {
    if (!ctx.response().headWritten()) {
      ctx.response().setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(toJson().encode());
    }
  }
}
