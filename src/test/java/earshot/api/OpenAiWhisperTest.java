package earshot.api;

import static earshot.api.OpenAiSdkClient.assertError;
import static earshot.api.OpenAiSdkClient.form;
import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.audio.TestAudio;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code /v1} routes over the real pipeline (SQLite, jave/ffmpeg, whisper.cpp on a synthetic multilingual model
 * installed as {@code base}), as an OpenAI SDK sees them: verbose_json carries what whisper.cpp gives, a missing
 * model is an error the SDK can show, and a transcription that outlasts the keep-alive interval (1 s here) keeps its
 * connection alive and still ends with its text.
 */
class OpenAiWhisperTest {
  static final Duration WAIT = Duration.ofMinutes(3);

  @TempDir
  static Path dir;

  static Vertx vertx;
  static WhisperFfmEngine engine;
  static EarshotNode node;
  static OpenAiSdkClient sdk;
  static Path models;
  static Path shortWav;
  static Path longWav;
  static int hooksPort;
  static Promise<JsonObject> webhook = Promise.promise();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny().multilingual());
    shortWav = TestAudio.writeWav(dir.resolve("short.wav"), 6, 16000, 1);
    longWav = TestAudio.writeWav(dir.resolve("long.wav"), 90, 16000, 1);
    hooksPort = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      webhook.tryComplete(body.toJsonObject());
      req.response().end();
    })).listen(0, "127.0.0.1")).actualPort();
    EarshotConfig config = TestConfigs.local(dir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("api", new JsonObject().put("key", JobsApiTest.KEY).put("openai_keepalive_seconds", 1))
        .put("audio", new JsonObject()
            .put("models_dir", models.toString())
            .put("default_model", "base")
            .put("whisper", new JsonObject().put("window_seconds", 30).put("threads", 1))
            .put("download", new JsonObject().put("allow_private", List.of("127.0.0.1/32")))));
    engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), null);
    node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
        AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());
    await(node.start());
    sdk = new OpenAiSdkClient(node.httpPort(), JobsApiTest.KEY);
  }

  @AfterAll
  static void stop() {
    await(node.stop());
    await(vertx.close());
    engine.close();
  }

  @Test
  void verboseJsonCarriesWhisperCppsTokensLogprobsAndCompressionRatio() throws Exception {
    var r = sdk.post("/v1/audio/transcriptions", form(shortWav, "whisper-1").field("response_format", "verbose_json")
        .field("language", "mk"));
    assertEquals(200, r.statusCode(), r.body());
    JsonObject verbose = new JsonObject(r.body());
    assertEquals("macedonian", verbose.getString("language"), "verbose_json names the language, as OpenAI does");
    JsonArray segments = verbose.getJsonArray("segments");
    assertFalse(segments.isEmpty(), r.body());
    for (Object o : segments) {
      JsonObject s = (JsonObject) o;
      JsonArray tokens = s.getJsonArray("tokens");
      assertFalse(tokens.isEmpty(), s.encode());
      tokens.forEach(t -> assertTrue(t instanceof Integer, "token ids are integers: " + s.encode()));
      double avgLogprob = s.getDouble("avg_logprob");
      assertTrue(Double.isFinite(avgLogprob) && avgLogprob <= 0, s.encode());
      assertTrue(s.getDouble("compression_ratio") > 0, s.encode());
      assertTrue(s.containsKey("no_speech_prob"), s.encode());
      assertNull(s.getValue("no_speech_prob"), "whisper.cpp 1.7.1 does not export it: " + s.encode());
    }
  }

  @Test
  void theJobAndItsWebhookKeepTheIsoCodeWhileVerboseJsonNamesTheLanguage() throws Exception {
    WebClient client = WebClient.create(vertx);
    var submitted = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
        .putHeader("X-API-KEY", JobsApiTest.KEY)
        .sendMultipartForm(MultipartForm.create().binaryFileUpload("file", "short.wav", shortWav.toString(), "audio/wav")
            .attribute("language", "mk").attribute("perform_chunking", "false")
            .attribute("callback_url", "http://127.0.0.1:" + hooksPort + "/hook")));
    assertEquals(202, submitted.statusCode(), submitted.bodyAsString());
    JsonObject hook = await(webhook.future(), WAIT);
    assertEquals("job.completed", hook.getString("event"), hook.encode());
    assertEquals("mk", hook.getJsonObject("result").getString("language"), hook.encode());
    long id = hook.getJsonObject("job").getLong("id");
    JsonObject verbose = await(client.get(node.httpPort(), "127.0.0.1",
        "/api/v1/audio/jobs/" + id + "/result?format=verbose_json").putHeader("X-API-KEY", JobsApiTest.KEY).send())
        .bodyAsJsonObject();
    assertEquals("macedonian", verbose.getString("language"));
  }

  @Test
  void aModelThatIsNotInstalledIsAnErrorTheSdkShowsWithTheCommandThatFetchesIt() throws Exception {
    JsonObject error = assertError(sdk.post("/v1/audio/transcriptions", form(shortWav, "small")), 422,
        "invalid_request_error", "model", "model_not_found");
    String message = error.getString("message");
    assertTrue(message.contains("'small'"), message);
    assertTrue(message.contains(models.toString()), message);
    assertTrue(message.contains("scripts/download-model.sh small"), message);
  }

  @Test
  void aLongTranscriptionKeepsItsConnectionAliveThenAnswers200WithItsText() throws Exception {
    var waiting = sdk.open("/v1/audio/transcriptions", form(longWav, "whisper-1").field("language", "en"));
    assertEquals(200, waiting.statusCode(), "no 202 without Prefer: respond-async");
    assertEquals("application/json", waiting.headers().firstValue("Content-Type").orElseThrow());
    InputStream body = waiting.body();
    OpenAiSdkClient.readKeepAlive(body, 1); // whitespace arrives before the JSON
    String rest = OpenAiSdkClient.readAll(body);
    String text = new JsonObject(rest).getString("text");
    assertNotNull(text, rest);
    assertFalse(text.isBlank(), rest);

    var async = sdk.post("/v1/audio/transcriptions", form(longWav, "whisper-1").header("Prefer", "respond-async"));
    assertEquals(202, async.statusCode(), async.body());
    assertTrue(async.headers().firstValue("Location").orElseThrow().startsWith("/api/v1/audio/jobs/"));
  }
}
