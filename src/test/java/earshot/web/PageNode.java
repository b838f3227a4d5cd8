package earshot.web;

import static earshot.testsupport.Await.await;

import earshot.EarshotNode;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** The node the browser tests open: every role on SQLite, the real pipeline, a synthetic "base" model. */
record PageNode(EarshotNode node, WhisperFfmEngine engine) {

  /** Starts it with {@code overrides} over the test defaults ({@code audio} merged, the rest replaced). */
  static PageNode start(Vertx vertx, Path dir, JsonObject overrides) throws IOException {
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny().multilingual());
    JsonObject audio = new JsonObject()
        .put("models_dir", models.toString())
        .put("default_model", "base")
        .put("whisper", new JsonObject().put("threads", 1))
        .put("download", new JsonObject().put("allow_private", List.of("127.0.0.1/32")))
        .mergeIn(overrides.getJsonObject("audio", new JsonObject()), true);
    JsonObject settings = new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100));
    overrides.forEach(e -> settings.put(e.getKey(), e.getValue()));
    settings.put("audio", audio);
    EarshotConfig config = TestConfigs.local(dir, settings);
    WhisperFfmEngine engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), null);
    EarshotNode node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
        AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());
    await(node.start());
    return new PageNode(node, engine);
  }

  String base() {
    return "http://127.0.0.1:" + node.httpPort();
  }
}
