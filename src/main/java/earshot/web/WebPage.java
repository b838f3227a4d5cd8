package earshot.web;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The page a person uses in a browser, at {@code /}: upload, live job list, transcripts, the microphone. It is plain
 * HTML, CSS and JavaScript under {@code src/main/resources/web}, served from the jar ({@code /web/*}); it loads
 * nothing from another host, so it works offline. It calls the public API with the key the user enters.
 *
 * <p>Threading: mounted on the HTTP verticle's router; the page is read once at construction, the assets are
 * served by Vert.x's {@link StaticHandler} (non-blocking).
 */
public final class WebPage {
  /** Everything the page loads comes from this server; its scripts open a WebSocket to it. */
  static final String CSP = "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob:; "
      + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  private final String index;

  public WebPage() {
    try (InputStream in = WebPage.class.getResourceAsStream("/web/index.html")) {
      this.index = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the bundled web page is missing", e);
    }
  }

  /** {@code GET /} (the page) and {@code GET /web/*} (its assets, not API operations: absent from the OpenAPI). */
  public void mount(Router router) {
    router.get("/").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("Cache-Control", "no-cache")
        .end(index));
    router.get("/web/*").handler(StaticHandler.create("web").setDirectoryListing(false));
  }
}
