package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.metrics.NoopJobMetrics;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible endpoints, driven the way the official SDKs drive them: multipart form with {@code file},
 * {@code model} and {@code response_format}, the key as a bearer token. Shapes are checked field by field against
 * the OpenAI audio API reference.
 */
class OpenAiApiTest {
  @TempDir
  Path tempDir;

  final Vertx vertx = Vertx.vertx();
  final WebClient client = WebClient.create(vertx);
  EarshotNode node;
  Path wav;

  @AfterEach
  void stop() {
    if (node != null) {
      await(node.stop());
    }
    await(vertx.close());
  }

  void start(boolean runners, int syncTimeoutSeconds) throws Exception {
    Path models = Files.createDirectories(tempDir.resolve("models"));
    Files.writeString(models.resolve("ggml-base.bin"), "listing only");
    Files.writeString(models.resolve("ggml-small.en.bin"), "listing only");
    Files.writeString(models.resolve("notes.txt"), "not a model");
    wav = Files.write(tempDir.resolve("speech.wav"), JobsApiTest.wav(16000));
    node = new EarshotNode(vertx, TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("worker_enabled", runners).put("poll_interval_ms", 100))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base"))
        .put("api", new JsonObject().put("key", JobsApiTest.KEY).put("sync_timeout_seconds", syncTimeoutSeconds))),
        NoopJobMetrics.INSTANCE, null, JobsApiTest.stages(), Clock.systemUTC());
    await(node.start());
  }

  HttpRequest<Buffer> post(String path) {
    return client.post(node.httpPort(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + JobsApiTest.KEY);
  }

  HttpResponse<Buffer> transcribe(String path, String format, String... extra) {
    MultipartForm form = MultipartForm.create().binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav")
        .attribute("model", "whisper-1");
    if (format != null) {
      form.attribute("response_format", format);
    }
    for (int i = 0; i + 1 < extra.length; i += 2) {
      form.attribute(extra[i], extra[i + 1]);
    }
    return await(post(path).sendMultipartForm(form));
  }

  @Test
  void everyResponseFormatHasOpenAisShape() throws Exception {
    start(true, 60);
    HttpResponse<Buffer> json = transcribe("/v1/audio/transcriptions", null);
    assertEquals(200, json.statusCode(), json.bodyAsString());
    assertEquals("application/json", json.getHeader("Content-Type"));
    assertEquals(Set.of("text"), json.bodyAsJsonObject().fieldNames());
    assertEquals("Hello there", json.bodyAsJsonObject().getString("text"));

    HttpResponse<Buffer> text = transcribe("/v1/audio/transcriptions", "text");
    assertTrue(text.getHeader("Content-Type").startsWith("text/plain"));
    assertEquals("Hello there\n", text.bodyAsString());

    HttpResponse<Buffer> srt = transcribe("/v1/audio/transcriptions", "srt");
    assertEquals("1\n00:00:00,000 --> 00:00:01,250\nHello\n\n2\n00:00:01,250 --> 00:00:03,000\nthere\n\n",
        srt.bodyAsString());
    HttpResponse<Buffer> vtt = transcribe("/v1/audio/transcriptions", "vtt");
    assertEquals("WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello\n\n00:00:01.250 --> 00:00:03.000\nthere\n\n",
        vtt.bodyAsString());

    JsonObject verbose = transcribe("/v1/audio/transcriptions", "verbose_json").bodyAsJsonObject();
    assertEquals(Set.of("task", "language", "duration", "text", "segments"), verbose.fieldNames());
    assertEquals("transcribe", verbose.getString("task"));
    assertEquals("english", verbose.getString("language"));
    assertEquals(3.0, verbose.getDouble("duration"));
    JsonObject segment = verbose.getJsonArray("segments").getJsonObject(0);
    assertEquals(Set.of("id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
        "compression_ratio", "no_speech_prob"), segment.fieldNames());
    assertTrue(segment.getValue("tokens") instanceof JsonArray);
    assertTrue(segment.getValue("id") instanceof Integer);
  }

  @Test
  void translationsRunAsTranslateJobs() throws Exception {
    start(true, 60);
    HttpResponse<Buffer> r = transcribe("/v1/audio/translations", "json", "prompt", "a greeting");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject jobs = await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs")
        .putHeader("X-API-KEY", JobsApiTest.KEY).send()).bodyAsJsonObject();
    assertEquals(100, jobs.getJsonArray("jobs").getJsonObject(0).getInteger("priority"), "runs as a high-priority job");
  }

  @Test
  void asyncPreferenceAndTimeoutAnswer202WithTheJob() throws Exception {
    start(false, 1);
    HttpResponse<Buffer> prefer = await(post("/v1/audio/transcriptions").putHeader("Prefer", "respond-async")
        .sendMultipartForm(MultipartForm.create().binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav")
            .attribute("model", "whisper-1")));
    assertEquals(202, prefer.statusCode(), prefer.bodyAsString());
    assertEquals("/api/v1/audio/jobs/" + prefer.bodyAsJsonObject().getLong("id"), prefer.getHeader("Location"));
    HttpResponse<Buffer> waited = transcribe("/v1/audio/transcriptions", "json");
    assertEquals(202, waited.statusCode(), "no runner: the 1 s wait runs out");
    assertEquals("queued", waited.bodyAsJsonObject().getString("status"));
    assertNotNull(waited.getHeader("Location"));
  }

  @Test
  void badRequestsAreProblems() throws Exception {
    start(false, 60);
    JobsApiTest.assertProblem(transcribe("/v1/audio/transcriptions", "xml"), 400, "response_format");
    JobsApiTest.assertProblem(transcribe("/v1/audio/transcriptions", "json", "temperature", "7"), 400, "temperature");
    JobsApiTest.assertProblem(await(post("/v1/audio/transcriptions").sendMultipartForm(MultipartForm.create()
        .binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav").attribute("model", "gpt-4o"))), 422, "model");
    Path text = Files.writeString(tempDir.resolve("x.wav"), "definitely not a wav file");
    JobsApiTest.assertProblem(await(post("/v1/audio/transcriptions").sendMultipartForm(MultipartForm.create()
        .binaryFileUpload("file", "x.wav", text.toString(), "audio/wav").attribute("model", "whisper-1"))), 415, "file");
    JobsApiTest.assertProblem(await(client.post(node.httpPort(), "127.0.0.1", "/v1/audio/transcriptions")
        .putHeader("Authorization", "Bearer wrong").send()), 401, null);
  }

  @Test
  void modelsListsWhatIsInstalled() throws Exception {
    start(false, 60);
    JsonObject list = await(client.get(node.httpPort(), "127.0.0.1", "/v1/models")
        .putHeader("Authorization", "Bearer " + JobsApiTest.KEY).send()).bodyAsJsonObject();
    assertEquals("list", list.getString("object"));
    List<String> ids = list.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")).toList();
    assertEquals(List.of("whisper-1", "base", "small.en"), ids);
    assertEquals("model", list.getJsonArray("data").getJsonObject(0).getString("object"));
  }
}
