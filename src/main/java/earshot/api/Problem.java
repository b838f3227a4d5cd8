package earshot.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** An RFC 9457 problem document. {@code about:blank} types mean "the HTTP status says it all". */
public record Problem(String type, String title, int status, String detail) {
  public static final String CONTENT_TYPE = "application/problem+json";

  public static Problem of(int status, String title, String detail) {
    return new Problem("about:blank", title, status, detail);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("type", type).put("title", title).put("status", status);
    if (detail != null) {
      json.put("detail", detail);
    }
    return json;
  }

  public void send(RoutingContext ctx) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).end(toJson().encode());
  }
}
