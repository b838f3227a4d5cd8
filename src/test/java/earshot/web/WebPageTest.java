package earshot.web;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.api.JobsApiTest;
import earshot.metrics.NoopJobMetrics;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The page at / and Swagger UI at /docs are served from the jar, without a key, and load nothing from elsewhere. */
class WebPageTest {
  private static final String KEY = "a-web-page-test-key-0123";
  /** An attribute that loads something (src, href, action) pointing at another host. */
  private static final Pattern EXTERNAL = Pattern.compile("(?:src|href|action)\\s*=\\s*[\"']?\\s*(?:https?:)?//");
  private static final Pattern LOADED = Pattern.compile("(?:src|href)=\"(/[^\"]*)\"");

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  EarshotNode node;
  WebClient client;

  @BeforeEach
  void start() {
    node = api.start(TestConfigs.local(tempDir, new JsonObject().put("api", new JsonObject().put("key", KEY))),
        NoopJobMetrics.INSTANCE, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), JobsApiTest.stages(),
        Clock.systemUTC());
    client = WebClient.create(api.vertx());
  }

  private HttpResponse<Buffer> get(String path) {
    return await(client.get(node.httpPort(), "127.0.0.1", path).send());
  }

  @Test
  void pageAndItsAssetsAreServedWithoutAKeyAndStayOnThisHost() {
    HttpResponse<Buffer> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.getHeader("Content-Type").startsWith("text/html"));
    assertTrue(page.getHeader("Content-Security-Policy").startsWith("default-src 'self'"));
    String html = page.bodyAsString();
    for (String id : List.of("api-key", "file-input", "upload-button", "mic-button", "partial-text", "final-text",
        "transcript", "url-input", "usage")) {
      assertTrue(html.contains("data-testid=\"" + id + "\""), "the page has the hook " + id);
    }
    assertNoExternalLoads(html);
    assertEveryLocalLoadAnswers(html, 2);

    String js = Stream.of("app", "api", "jobs", "transcript", "live", "pcm-worklet")
        .map(m -> {
          HttpResponse<Buffer> module = get("/web/" + m + ".js");
          assertEquals(200, module.statusCode(), m);
          assertTrue(module.getHeader("Content-Type").contains("javascript"), "a module needs a JavaScript type");
          return module.bodyAsString();
        })
        .collect(Collectors.joining("\n"));
    for (String hook : List.of("job-row", "job-status", "download-", "/jobs/events", "/stream/transcribe", "/usage",
        "/providers", "/jobs/admin/summary-by-owner", "cursor", "audio-file", "pcm_f32le")) {
      assertTrue(js.contains(hook), "the script uses " + hook);
    }
    assertFalse(js.contains("http://") || js.contains("https://"), "the script names no other host");
  }

  @Test
  void docsAreSwaggerUiFromTheJarOverTheDocument() {
    HttpResponse<Buffer> docs = get("/docs");
    assertEquals(200, docs.statusCode());
    String html = docs.bodyAsString();
    assertTrue(html.contains("SwaggerUIBundle") && html.contains("url:'/openapi.json'"), html);
    assertTrue(html.contains("validatorUrl:null"), "no call to the public validator");
    assertTrue(html.contains("preauthorizeApiKey('apiKey'"), "the page's key is used by Try it out");
    assertNoExternalLoads(html);
    assertEveryLocalLoadAnswers(html, 2);
    HttpResponse<Buffer> bundle = get("/docs/assets/swagger-ui-bundle.js");
    assertTrue(bundle.getHeader("Content-Type").contains("javascript"));
    assertTrue(bundle.body().length() > 100_000, "the real bundle");

    JsonObject schemes = get("/openapi.json").bodyAsJsonObject().getJsonObject("components")
        .getJsonObject("securitySchemes");
    assertEquals("X-API-KEY", schemes.getJsonObject("apiKey").getString("name"));
  }

  @Test
  void aMissingAssetIsAProblemAndTheApiStillWantsTheKey() {
    HttpResponse<Buffer> missing = get("/web/nothing-here.js");
    assertEquals(404, missing.statusCode());
    assertTrue(missing.getHeader("Content-Type").startsWith("application/problem+json"));
    assertTrue(get("/web/").bodyAsString().contains("<title>Earshot</title>"), "the page, not a directory listing");
    assertEquals(401, get("/api/v1/audio/usage").statusCode());
  }

  private static void assertNoExternalLoads(String html) {
    Matcher m = EXTERNAL.matcher(html);
    assertFalse(m.find(), () -> "loads from another host: " + html.substring(m.start(), Math.min(html.length(), m.end() + 40)));
  }

  private void assertEveryLocalLoadAnswers(String html, int atLeast) {
    Matcher m = LOADED.matcher(html);
    int seen = 0;
    while (m.find()) {
      String path = m.group(1);
      if (path.equals("/docs") || path.equals("/openapi.json")) {
        continue;
      }
      assertEquals(200, get(path).statusCode(), path);
      seen++;
    }
    assertTrue(seen >= atLeast, "assets checked: " + seen);
  }
}
