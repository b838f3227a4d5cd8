package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.bus.Addresses;
import earshot.bus.SubmitJob;
import earshot.config.EarshotConfig;
import earshot.metrics.MicrometerJobMetrics;
import earshot.pipeline.StageRegistry;
import earshot.testsupport.Deadlines;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health, readiness, metrics and problem responses over real HTTP. */
class HttpApiTest {
  @TempDir
  Path tempDir;

  Vertx vertx = Vertx.vertx();
  EarshotNode node;
  WebClient client = WebClient.create(vertx);

  @AfterEach
  void stop() {
    if (node != null) {
      await(node.stop());
    }
    await(vertx.close());
  }

  EarshotNode start(List<String> roles) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    EarshotConfig config = TestConfigs.local(tempDir, new JsonObject()
        .put("roles", roles));
    node = new EarshotNode(vertx, config, new MicrometerJobMetrics(registry), registry, StageRegistry.of(),
        Clock.systemUTC());
    await(node.start());
    return node;
  }

  HttpResponse<Buffer> get(String path) {
    return await(client.get(node.httpPort(), "127.0.0.1", path).send());
  }

  @Test
  void healthAndReadinessOnAnAllInOneNode() {
    start(List.of("api", "scheduler", "cpu", "gpu"));
    HttpResponse<Buffer> health = get("/health");
    assertEquals(200, health.statusCode());
    assertEquals("UP", health.bodyAsJsonObject().getString("status"));

    HttpResponse<Buffer> ready = get("/ready");
    assertEquals(200, ready.statusCode());
    JsonObject body = ready.bodyAsJsonObject();
    assertEquals("READY", body.getString("status"));
    assertEquals("sqlite", body.getJsonObject("store").getString("kind"));
    assertEquals(List.of("api", "cpu", "gpu", "scheduler"), body.getJsonArray("roles").getList());
  }

  @Test
  void anApiNodeWithoutAReachableSchedulerIsNotReady() {
    start(List.of("api"));
    HttpResponse<Buffer> ready = get("/ready");
    assertEquals(503, ready.statusCode());
    assertEquals("application/problem+json", ready.getHeader("Content-Type"));
    JsonObject body = ready.bodyAsJsonObject();
    assertEquals("DOWN", body.getJsonObject("store").getString("status"));
    assertTrue(body.getJsonObject("store").getString("error").contains("no scheduler"), body.encode());
  }

  @Test
  void unknownPathsAndMethodsAreProblems() {
    start(List.of("api", "scheduler"));
    HttpResponse<Buffer> missing = get("/nope");
    assertEquals(404, missing.statusCode());
    assertEquals("application/problem+json", missing.getHeader("Content-Type"));
    assertEquals(404, missing.bodyAsJsonObject().getInteger("status"));
    assertEquals("Not Found", missing.bodyAsJsonObject().getString("title"));
    HttpResponse<Buffer> wrong = await(client.delete(node.httpPort(), "127.0.0.1", "/health").send());
    assertEquals(405, wrong.statusCode());
    assertEquals("application/problem+json", wrong.getHeader("Content-Type"));
  }

  @Test
  void metricsArePrometheusTextWithLowCardinalityLabels() {
    start(List.of("api", "scheduler"));
    SubmitJob submit = new SubmitJob("alice", new JsonObject().put("local_path", "/srv/a.wav"), 0, null, null);
    await(vertx.eventBus().request(Addresses.JOBS_SUBMIT, submit.toJson()));
    String text = until("queue_depth to be sampled", Deadlines.WAIT, () -> get("/metrics").bodyAsString(),
        t -> t.contains("queue_depth{queue=\"default\"} 1.0"));
    assertTrue(text.contains("jobs_enqueued_total{queue=\"default\",stage=\"audio_convert\"} 1.0"), text);
    assertTrue(text.contains("worker_active"), text);
    assertTrue(text.contains("job_total_seconds"), text);
    assertTrue(!text.contains("alice"), "owner ids never appear as labels");
  }
}
