package earshot.deploy;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.audio.TestAudio;
import earshot.config.EarshotConfig;
import earshot.metrics.MicrometerJobMetrics;
import earshot.metrics.NodeRegistry;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.ApiNode;
import earshot.testsupport.Deadlines;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Every metric the dashboard or the alert rules query is one a node exports: on a fresh node (meters are registered
 * at start-up with zeros) and after a job ran through every stage on real ffmpeg and whisper.cpp. Names come from the
 * expressions through {@link PromQlNames}; {@code up} is left out, as Prometheus makes it. Every Earshot series
 * carries the node label.
 */
class MetricsExportTest {
  static final String NODE = "export-node";
  static final String KEY = "export-key-0123456789abcdef";
  static final Duration JOB = Deadlines.loaded(Duration.ofSeconds(12));
  /** Made by Prometheus for every target, not by a node. */
  static final Set<String> FROM_PROMETHEUS = Set.of("up");

  @TempDir
  Path dir;

  @RegisterExtension
  final ApiNode api = new ApiNode();

  WhisperFfmEngine engine;

  @AfterEach
  void closeEngine() {
    api.stop();
    if (engine != null) {
      engine.close();
    }
  }

  /** The metric names the dashboard and the rules read. */
  @SuppressWarnings("unchecked")
  static Set<String> queried() throws Exception {
    Set<String> names = new TreeSet<>();
    DashboardTest.expressions(DashboardTest.dashboard()).forEach(e -> names.addAll(PromQlNames.of(e)));
    Map<String, Object> rules = new Yaml().load(Files.readString(AlertRulesTest.DIR.resolve("alerts.yml")));
    for (Map<String, Object> group : (List<Map<String, Object>>) rules.get("groups")) {
      for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
        names.addAll(PromQlNames.of(String.valueOf(rule.get("expr"))));
      }
    }
    names.removeAll(FROM_PROMETHEUS);
    return names;
  }

  /** Series names in Prometheus text: each sample line's name, up to its labels or value. */
  static Set<String> exported(String text) {
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }

  static Set<String> missing(Set<String> queried, Set<String> exported) {
    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(exported);
    return missing;
  }

  @Test
  void everyQueriedMetricIsExportedByAFreshNodeAndAfterAJob() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    Path audio = Files.createDirectories(dir.resolve("audio"));
    Path wav = TestAudio.writeWav(audio.resolve("talk.wav"), 3, 16000, 1);
    EarshotConfig config = TestConfigs.local(dir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("metrics", new JsonObject().put("node_name", NODE))
        .put("api", new JsonObject().put("key", KEY))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base")
            .put("allowed_roots", List.of(audio.toString()))
            .put("whisper", new JsonObject().put("threads", 1).put("best_of", SyntheticModel.QUICK.bestOf())
                .put("beam_size", SyntheticModel.QUICK.beamSize()).put("temperature_inc", 0.4))));
    engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), null);
    PrometheusMeterRegistry registry = NodeRegistry.prometheus(config.metrics().nodeName());
    EarshotNode node = api.start(config, new MicrometerJobMetrics(registry), registry,
        AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());

    Set<String> queried = queried();
    String fresh = scrape(node);
    assertEquals(Set.of(), missing(queried, exported(fresh)), "queried but not exported by a fresh node");

    JsonObject submitted = await(api.client().post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
        .putHeader("X-API-KEY", KEY).sendJsonObject(new JsonObject().put("local_path", wav.toString()))).bodyAsJsonObject();
    long id = submitted.getLong("id");
    JsonObject job = until("job " + id + " to finish", JOB, () -> await(api.client()
            .get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id).putHeader("X-API-KEY", KEY).send())
            .bodyAsJsonObject(),
        j -> List.of("completed", "failed", "cancelled").contains(j.getString("status")));
    assertEquals("completed", job.getString("status"), job.encode());

    String after = until("the transcription to be counted", Deadlines.WAIT, () -> scrape(node),
        t -> t.contains("transcription_real_time_factor_percent_count{node=\"" + NODE + "\"} 1\n"));
    assertEquals(Set.of(), missing(queried, exported(after)), "queried but not exported after a job");
    for (String line : after.split("\n")) {
      String name = line.split("[{ ]", 2)[0];
      if (queried.contains(name)) {
        assertTrue(line.contains("node=\"" + NODE + "\""), "no node label: " + line);
      }
    }
    assertTrue(after.contains("stage_seconds_count{node=\"" + NODE + "\",outcome=\"completed\",stage=\"audio_transcribe\"} 1\n"),
        after);
  }

  @Test
  void aQueriedNameNoNodeExportsIsReported() {
    assertEquals(Set.of("jobs_teleported_total"), missing(Set.of("queue_depth", "jobs_teleported_total"),
        exported("# HELP queue_depth x\nqueue_depth{node=\"n\",queue=\"default\"} 0.0\n")));
  }

  private String scrape(EarshotNode node) {
    return await(api.client().get(node.httpPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
  }
}
