package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import earshot.EarshotNode;
import earshot.metrics.NoopJobMetrics;
import earshot.testsupport.Deadlines;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Rate limiting and CORS, both from config. */
class ApiLimitsTest {
  @TempDir
  Path tempDir;

  /** One token per 20 s: none comes back while a loaded machine serves the three requests of the test. */
  static final long REFILL_SECONDS = Deadlines.loaded(Duration.ofSeconds(2)).toSeconds();

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  EarshotNode node;

  @BeforeEach
  void start() {
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("key", JobsApiTest.KEY)
            .put("rate_limit", new JsonObject().put("requests_per_second", 1.0 / REFILL_SECONDS).put("burst", 2))
            .put("cors_origins", List.of("https://app.example.org")))), JobsApiTest.stages());
  }

  HttpResponse<Buffer> list() {
    return await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs")
        .putHeader("X-API-KEY", JobsApiTest.KEY).send());
  }

  @Test
  void aCallerOverItsBucketGets429WithRetryAfter() {
    assertEquals(200, list().statusCode());
    assertEquals(200, list().statusCode());
    HttpResponse<Buffer> limited = list();
    JobsApiTest.assertProblem(limited, 429, null);
    assertNotNull(limited.getHeader("Retry-After"));
    int retryAfter = Integer.parseInt(limited.getHeader("Retry-After"));
    org.junit.jupiter.api.Assertions.assertTrue(retryAfter >= 1 && retryAfter <= REFILL_SECONDS,
        "Retry-After " + retryAfter);
  }

  @Test
  void corsAllowsOnlyConfiguredOrigins() {
    HttpResponse<Buffer> allowed = await(client.request(HttpMethod.OPTIONS, node.httpPort(), "127.0.0.1",
            "/api/v1/audio/jobs")
        .putHeader("Origin", "https://app.example.org")
        .putHeader("Access-Control-Request-Method", "POST").send());
    assertEquals("https://app.example.org", allowed.getHeader("Access-Control-Allow-Origin"));
    HttpResponse<Buffer> denied = await(client.get(node.httpPort(), "127.0.0.1", "/health")
        .putHeader("Origin", "https://evil.example.com").send());
    assertNull(denied.getHeader("Access-Control-Allow-Origin"), "no CORS grant for an unlisted origin");
    JobsApiTest.assertProblem(denied, 403, null);
  }
}
