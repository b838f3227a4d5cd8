package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.metrics.NoopJobMetrics;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The served OpenAPI document and the router describe exactly the same routes. */
class OpenApiTest {
  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  EarshotNode node;

  @Test
  void documentMatchesRouterAndDocsPageListsIt() {
    node = api.start(TestConfigs.local(tempDir, new JsonObject()),
        NoopJobMetrics.INSTANCE, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), JobsApiTest.stages(),
        Clock.systemUTC());
    WebClient client = WebClient.create(vertx);
    HttpResponse<Buffer> doc = await(client.get(node.httpPort(), "127.0.0.1", "/openapi.json").send());
    assertEquals(200, doc.statusCode());
    JsonObject openapi = doc.bodyAsJsonObject();
    assertEquals("3.1.0", openapi.getString("openapi"));

    Set<String> documented = ApiDocs.documented(openapi);
    Set<String> served = node.httpRoutes();
    assertEquals(documented, served);

    String html = await(client.get(node.httpPort(), "127.0.0.1", "/docs").send()).bodyAsString();
    for (String route : documented) {
      String path = route.substring(route.indexOf(' ') + 1);
      assertTrue(html.contains(path.replace("{", "{")), "docs page lists " + route);
    }
  }
}
