package earshot.web;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The page a person uses in a browser, at {@code /}: upload, live job list, transcripts, the microphone. It is plain
 * HTML, CSS and JavaScript modules under {@code src/main/resources/web}, served from the jar ({@code /web/*}): api.js
 * (the key, requests, errors as sentences), jobs.js (the live job list, paging, admin views), transcript.js (words
 * highlighted with the audio, analysis, downloads), live.js and pcm-worklet.js (the microphone), app.js (upload and
 * wiring). It loads nothing from another host, so it works offline. It calls the public API with the key the user
 * enters.
 *
 * <p>Threading: mounted on the HTTP verticle's router; the page is read once at construction, the assets are
 * served by Vert.x's {@link StaticHandler} (non-blocking).
 */
public final class WebPage {
  /**
   * Everything the page loads comes from this server; its scripts open a WebSocket to it. The one exception is the
   * player, which may play a job's audio from the URL the user submitted it by (the server keeps no audio).
   */
  static final String CSP = "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob: http: https:; "
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
