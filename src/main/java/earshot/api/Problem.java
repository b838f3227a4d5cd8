package earshot.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** An RFC 9457 problem document; {@code field} names the offending input of a validation error. */
public record Problem(String type, String title, int status, String detail, String field) {
  public static final String CONTENT_TYPE = "application/problem+json";

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
    return json;
  }

  public void send(RoutingContext ctx) {
    if (!ctx.response().headWritten()) {
      ctx.response().setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(toJson().encode());
    }
  }
}
