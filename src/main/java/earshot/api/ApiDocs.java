package earshot.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Serves the OpenAPI 3.1 document ({@code /openapi.json}) and a plain HTML page generated from it ({@code /docs}),
 * and lists a router's routes in the document's notation so a test can prove the two agree.
 */
final class ApiDocs {
  private final String json;
  private final String html;

  ApiDocs() {
    try (InputStream in = ApiDocs.class.getResourceAsStream("/api/openapi.json")) {
      this.json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the bundled OpenAPI document is missing", e);
    }
    this.html = html(new JsonObject(json));
  }

  void mount(Router router) {
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(json));
    router.get("/docs").handler(this::docs);
  }

  private void docs(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(html);
  }

  /** Every {@code METHOD /path} of the document, with path parameters as {@code {name}}. */
  static Set<String> documented(JsonObject doc) {
    Set<String> out = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      for (String method : paths.getJsonObject(path).fieldNames()) {
        out.add(method.toUpperCase(Locale.ROOT) + " " + path);
      }
    }
    return out;
  }

  /** Every {@code METHOD /path} a router serves, sub-routers included, in the document's notation. */
  static Set<String> routes(Router router) {
    Set<String> out = new TreeSet<>();
    collect(router, "", out);
    return out;
  }

  private static void collect(Router router, String prefix, Set<String> out) {
    for (Route route : router.getRoutes()) {
      // Templated paths (":id") keep their pattern only as the route's name.
      String path = route.getPath() != null ? route.getPath() : route.getName();
      if (path == null || !path.startsWith("/")) {
        continue;
      }
      if (route.getSubRouter() != null) {
        collect(route.getSubRouter(), prefix + path.replaceAll("/?\\*?$", ""), out);
        continue;
      }
      String openapi = (prefix + path).replaceAll(":([A-Za-z_]+)", "{$1}");
      for (HttpMethod m : route.methods()) {
        out.add(m.name() + " " + openapi);
      }
    }
  }

  private static String html(JsonObject doc) {
    StringBuilder out = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(doc.getJsonObject("info").getString("title"))).append(" API</title><style>")
        .append("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}")
        .append("code{background:#f3f3f3;padding:.1rem .3rem}h2{margin-top:2rem}li{margin:.3rem 0}")
        .append("</style></head><body><h1>").append(escape(doc.getJsonObject("info").getString("title")))
        .append(" API</h1><p>").append(escape(doc.getJsonObject("info").getString("description")))
        .append("</p><p>The machine-readable document is <a href=\"/openapi.json\">/openapi.json</a>.</p><ul>");
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : new TreeSet<>(paths.fieldNames())) {
      JsonObject ops = paths.getJsonObject(path);
      for (String method : ops.fieldNames()) {
        JsonObject op = ops.getJsonObject(method);
        out.append("<li><code>").append(method.toUpperCase(Locale.ROOT)).append(' ').append(escape(path))
            .append("</code> ").append(escape(op.getString("summary", ""))).append(" <small>(")
            .append(escape(String.join(", ", op.getJsonObject("responses").fieldNames()))).append(")</small></li>");
      }
    }
    return out.append("</ul></body></html>").toString();
  }

  private static String escape(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
