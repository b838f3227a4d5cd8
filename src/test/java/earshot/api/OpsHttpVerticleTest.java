package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.metrics.MicrometerJobMetrics;
import earshot.metrics.NodeRegistry;
import earshot.runner.StageRegistry;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A worker node (no API role) serves /health, /ready and /metrics for its health check and Prometheus, and no API. */
class OpsHttpVerticleTest {
  @TempDir
  Path dir;

  @RegisterExtension
  final ApiNode api = new ApiNode();

  EarshotNode start(List<String> roles) {
    PrometheusMeterRegistry registry = NodeRegistry.prometheus("worker-1");
    return api.start(TestConfigs.local(dir, new JsonObject().put("roles", roles)), new MicrometerJobMetrics(registry),
        registry, StageRegistry.of(), Clock.systemUTC());
  }

  HttpResponse<Buffer> get(String path) {
    return await(api.client().get(api.port(), "127.0.0.1", path).send());
  }

  @Test
  void aWorkerServesHealthReadinessAndMetricsButNoApi() {
    start(List.of("scheduler", "cpu"));
    assertTrue(api.port() > 0);
    assertEquals(200, get("/health").statusCode());
    HttpResponse<Buffer> ready = get("/ready");
    assertEquals(200, ready.statusCode(), ready.bodyAsString());
    assertEquals(List.of("cpu", "scheduler"), ready.bodyAsJsonObject().getJsonArray("roles").getList());
    String metrics = get("/metrics").bodyAsString();
    assertTrue(metrics.contains("node_role{node=\"worker-1\",role=\"cpu\"} 1"), metrics);
    assertTrue(metrics.contains("node_role{node=\"worker-1\",role=\"api\"} 0"), metrics);
    assertEquals(404, get("/api/v1/audio/jobs").statusCode());
  }

  @Test
  void aWorkerWithoutASchedulerOnItsBusIsNotReady() {
    start(List.of("cpu"));
    HttpResponse<Buffer> ready = get("/ready");
    assertEquals(503, ready.statusCode(), ready.bodyAsString());
    assertEquals("application/problem+json", ready.getHeader("Content-Type"));
    assertEquals("DOWN", ready.bodyAsJsonObject().getJsonObject("store").getString("status"));
    assertTrue(ready.bodyAsJsonObject().getJsonObject("store").getString("error").contains("no scheduler"),
        ready.bodyAsString());
  }

  @Test
  void aNodeStartedWithoutMetricsOpensNoPortForThem() {
    EarshotNode node = api.start(TestConfigs.local(dir, new JsonObject().put("roles", List.of("scheduler", "cpu"))),
        StageRegistry.of());
    assertEquals(-1, node.httpPort());
  }
}
