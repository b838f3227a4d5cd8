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
import earshot.runner.StageRegistry;
import earshot.testsupport.Deadlines;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
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
    return start(roles, new JsonObject());
  }

  EarshotNode start(List<String> roles, JsonObject overrides) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    EarshotConfig config = TestConfigs.local(tempDir, overrides.copy()
        .put("roles", roles));
    node = new EarshotNode(vertx, config, new MicrometerJobMetrics(registry), registry, StageRegistry.of(),
        Clock.systemUTC());
    await(node.start());
    return node;
  }

  HttpResponse<Buffer> get(String path) {
    return await(client.get(node.httpPort(), "127.0.0.1", path).send());
  }

  Path model(String name) throws java.io.IOException {
    return SyntheticModel.write(Files.createDirectories(tempDir.resolve("models")).resolve("ggml-" + name + ".bin"),
        SyntheticModel.Spec.tiny());
  }

  @Test
  void healthAndReadinessOnAnAllInOneNode() throws Exception {
    model("base");
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
    assertEquals("READY", body.getJsonObject("model").getString("status"), body.encode());
    assertEquals("base", body.getJsonObject("model").getString("name"));
  }

  @Test
  void aTranscribingNodeIsNotReadyUntilItsDefaultModelCanRun() throws Exception {
    start(List.of("api", "scheduler", "cpu", "gpu"));
    Path models = tempDir.resolve("models").toAbsolutePath();
    HttpResponse<Buffer> missing = get("/ready");
    assertEquals(503, missing.statusCode(), missing.bodyAsString());
    assertEquals("application/problem+json", missing.getHeader("Content-Type"));
    JsonObject body = missing.bodyAsJsonObject();
    assertEquals(503, body.getInteger("status"), "a problem's status is the HTTP status (RFC 9457)");
    assertEquals("NOT_READY", body.getString("readiness"));
    JsonObject model = body.getJsonObject("model");
    assertEquals("MISSING", model.getString("status"), body.encode());
    assertEquals("base", model.getString("name"));
    assertEquals(models.toString(), model.getString("models_dir"));
    assertEquals("scripts/download-model.sh base", model.getString("download"));
    String detail = body.getString("detail");
    assertTrue(detail.contains("'base'") && detail.contains(models.toString())
        && detail.contains("scripts/download-model.sh base"), detail);

    Files.createDirectories(models);
    Files.writeString(models.resolve("ggml-base.bin"), "an HTML error page saved as a model");
    JsonObject invalid = until("the broken file to be judged", Deadlines.WAIT, () -> get("/ready"),
        r -> r.bodyAsJsonObject().getJsonObject("model").getString("status").equals("INVALID")).bodyAsJsonObject();
    assertTrue(invalid.getString("detail").contains("scripts/download-model.sh base"), invalid.encode());

    model("base"); // downloaded while the node runs: ready without a restart
    HttpResponse<Buffer> ready = until("readiness after the download", Deadlines.WAIT, () -> get("/ready"),
        r -> r.statusCode() == 200);
    assertEquals("READY", ready.bodyAsJsonObject().getString("status"));
  }

  @Test
  void nodesThatDoNotTranscribeNeedNoModel() {
    start(List.of("api", "scheduler", "cpu"));
    HttpResponse<Buffer> ready = get("/ready");
    assertEquals(200, ready.statusCode(), ready.bodyAsString());
    assertTrue(!ready.bodyAsJsonObject().containsKey("model"), ready.bodyAsString());
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

  @Test
  void everyConfiguredQueueIsListedWithZerosFromStartUp() {
    start(List.of("api", "scheduler"), new JsonObject().put("queues", new JsonObject()
        .put("transcribe_by_model", new JsonObject().put("large-v3", "transcribe-large"))));
    JsonObject stats = get("/api/v1/audio/queue/stats").bodyAsJsonObject();
    JsonArray queues = stats.getJsonArray("queues");
    assertEquals(List.of("default", "transcribe", "transcribe-large"),
        queues.stream().map(q -> ((JsonObject) q).getString("queue")).toList(), stats.encode());
    for (Object q : queues) {
      JsonObject queue = (JsonObject) q;
      assertEquals(0L, queue.getLong("queued"), queue.encode());
      assertEquals(0L, queue.getLong("processing"), queue.encode());
      assertEquals(0.0, queue.getDouble("oldest_queued_age_seconds"), queue.encode());
    }
    String metrics = get("/metrics").bodyAsString();
    for (String queue : List.of("default", "transcribe", "transcribe-large")) {
      assertTrue(metrics.contains("queue_depth{queue=\"" + queue + "\"} 0.0"), queue + " in\n" + metrics);
    }
  }
}
