package earshot.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Serves the OpenAPI 3.1 document ({@code /openapi.json}) and Swagger UI over it at {@code /docs} (from the
 * {@code org.webjars:swagger-ui} WebJar in the jar, under {@code /docs/assets/*}: no CDN, works offline), with a
 * plain list of the routes for browsers without JavaScript; and lists a router's routes in the document's notation
 * so a test can prove the two agree.
 */
final class ApiDocs {
  /** Where Swagger UI's own files are served. */
  static final String ASSETS = "/docs/assets/";
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

  /** {@code GET /openapi.json}, {@code GET /docs} and Swagger UI's files (not API operations: not in the document). */
  void mount(Router router) {
    router.get("/openapi.json").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(json));
    router.get("/docs").handler(this::docs);
    router.get(ASSETS + "*").handler(StaticHandler.create(swaggerRoot()).setDirectoryListing(false));
  }

  /** The WebJar's directory on the class path, named by the version its pom.properties gives. */
  private static String swaggerRoot() {
    try (InputStream in = ApiDocs.class.getResourceAsStream("/META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
      Properties p = new Properties();
      p.load(in);
      return "META-INF/resources/webjars/swagger-ui/" + p.getProperty("version");
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the swagger-ui WebJar is missing", e);
    }
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
      if (!route.isExactPath()) {
        continue; // a tree of static files (the page's assets, Swagger UI's), not an API operation
      }
      String openapi = (prefix + path).replaceAll(":([A-Za-z_]+)", "{$1}");
      for (HttpMethod m : route.methods()) {
        out.add(m.name() + " " + openapi);
      }
    }
  }

  private static String html(JsonObject doc) {
    String title = escape(doc.getJsonObject("info").getString("title")) + " API";
    StringBuilder out = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>").append(title)
        .append("</title><link rel=\"stylesheet\" href=\"").append(ASSETS).append("swagger-ui.css\">")
        .append("<style>body{margin:0}noscript{display:block;font-family:system-ui,sans-serif;max-width:60rem;")
        .append("margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:.1rem .3rem}li{margin:.3rem 0}")
        .append("</style></head><body><div id=\"swagger-ui\"></div><noscript><h1>").append(title).append("</h1><p>")
        .append(escape(doc.getJsonObject("info").getString("description")))
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
    // The key the page at / keeps in this tab is filled in for "Try it out" (the Authorize button changes it).
    return out.append("</ul></noscript><script src=\"").append(ASSETS).append("swagger-ui-bundle.js\"></script>")
        .append("<script>const ui=SwaggerUIBundle({url:'/openapi.json',dom_id:'#swagger-ui',deepLinking:true,")
        .append("tryItOutEnabled:true,validatorUrl:null,onComplete:()=>{const k=sessionStorage.getItem('earshot.key');")
        .append("if(k){ui.preauthorizeApiKey('apiKey',k);}}});")
        .append("</script></body></html>").toString();
  }

  private static String escape(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
