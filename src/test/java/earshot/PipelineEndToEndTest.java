package earshot;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.TestAudio;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.Databases;
import earshot.transcribe.Languages;
import earshot.testsupport.Deadlines;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole product path with real parts: HTTP API, scheduler, SQLite, jave/ffmpeg, whisper.cpp on a synthetic
 * model, a local HTTP server for downloads and another standing in for the analysis provider. The synthetic model
 * transcribes garbage, so results are checked for structure.
 */
class PipelineEndToEndTest {
  static final String KEY = "e2e-key-0123456789abcdef";
  /** One job through every stage on real whisper.cpp: a few seconds on a quiet machine. */
  static final Duration WAIT = Deadlines.loaded(Duration.ofSeconds(12));

  @TempDir
  static Path dir;

  static Vertx vertx;
  static WebClient client;
  static WhisperFfmEngine engine;
  static EarshotNode node;
  static Path audioRoot;
  static Path dataDir;
  static Path sourceWav;
  static int filesPort;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    audioRoot = Files.createDirectories(dir.resolve("audio"));
    dataDir = dir.resolve("data");
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    sourceWav = TestAudio.writeWav(audioRoot.resolve("source.wav"), 6, 16000, 1);

    // A file server (downloads) and a chat-completions stand-in (analysis), both on loopback.
    HttpServer files = vertx.createHttpServer().requestHandler(req -> {
      switch (req.path()) {
        case "/talk.mp3" -> req.response().sendFile(audioRoot.resolve("talk.mp3").toString());
        case "/v1/chat/completions" -> req.body().onSuccess(body -> {
          String transcript = body.toJsonObject().getJsonArray("messages").getJsonObject(1).getString("content");
          req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("choices",
              new JsonArray().add(new JsonObject().put("message", new JsonObject().put("role", "assistant")
                  .put("content", "summary of " + transcript.length() + " characters")))).encode());
        });
        default -> req.response().setStatusCode(404).end();
      }
    });
    filesPort = await(files.listen(0, "127.0.0.1")).actualPort();
    TestAudio.encode(sourceWav, TestAudio.Format.MP3, audioRoot, "talk");

    EarshotConfig config = ConfigLoader.fromOverrides(new JsonObject()
        .put("data_dir", dataDir.toString())
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("store", new JsonObject().put("url", Databases.sqliteUrl(dir)))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100).put("retry_backoff_ms", 100).put("max_retries", 1))
        // One transcriber slot, so the cancel test also proves the abort frees it. One whisper thread: ggml's
        // spinning workers crawl when the two cores are oversubscribed. One candidate, steps of 0.4: the synthetic
        // model fails every decode's thresholds, and whisper.cpp's default fallback would multiply each decode.
        .put("runners", new JsonObject().put("cpu_slots", 2).put("gpu_slots", 1))
        .put("api", new JsonObject().put("key", KEY))
        .put("audio", new JsonObject()
            .put("models_dir", models.toString())
            .put("default_model", "base")
            .put("allowed_roots", List.of(audioRoot.toString()))
            .put("whisper", new JsonObject().put("window_seconds", 30).put("threads", 1).put("best_of", 1)
                .put("temperature_inc", 0.4))
            .put("download", new JsonObject().put("allow_private", List.of("127.0.0.1/32")))
            .put("providers", new JsonObject().put("local", new JsonObject()
                .put("base_url", "http://127.0.0.1:" + filesPort + "/v1").put("model", "stand-in")))));
    engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), null);
    node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
        AudioPipeline.stages(config, engine, Clock.systemUTC()), Clock.systemUTC());
    await(node.start());
  }

  @AfterAll
  static void stop() {
    await(node.stop());
    await(vertx.close());
    engine.close();
  }

  static JsonObject submit(JsonObject body) {
    HttpResponse<Buffer> r = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
        .putHeader("X-API-KEY", KEY).sendJsonObject(body));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static JsonObject job(long id) {
    return await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id)
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
  }

  static JsonObject finished(long id) {
    return until("job " + id + " to finish", WAIT, () -> job(id),
        j -> List.of("completed", "failed", "cancelled").contains(j.getString("status")));
  }

  static String result(long id, String format) {
    HttpResponse<Buffer> r = await(client.get(node.httpPort(), "127.0.0.1",
        "/api/v1/audio/jobs/" + id + "/result?format=" + format).putHeader("X-API-KEY", KEY).send());
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsString();
  }

  /** Neither the node's scratch nor the job's objects in the (directory) artifact store are left. */
  static boolean workDirGone(String uuid) {
    return !Files.exists(dataDir.resolve("work").resolve(uuid)) && !Files.exists(dataDir.resolve("jobs").resolve(uuid));
  }

  /** All five renderings are well formed and agree with each other. */
  static void assertRenderings(long id, double expectedSeconds) {
    JsonObject verbose = new JsonObject(result(id, "verbose_json"));
    assertEquals(expectedSeconds, verbose.getDouble("duration"), 0.15);
    JsonArray segments = verbose.getJsonArray("segments");
    double last = 0;
    for (int i = 0; i < segments.size(); i++) {
      JsonObject s = segments.getJsonObject(i);
      assertEquals(i, s.getInteger("id"));
      assertTrue(s.getDouble("start") >= last - 1e-6 && s.getDouble("end") >= s.getDouble("start"), s.encode());
      last = s.getDouble("start");
    }
    String text = verbose.getString("text");
    JsonObject json = new JsonObject(result(id, "json"));
    assertEquals(text, json.getString("text"));
    assertEquals(verbose.getString("language"), Languages.name(json.getString("language")), json.encode());
    assertEquals(text + "\n", result(id, "text"));
    String srt = result(id, "srt");
    String vtt = result(id, "vtt");
    assertTrue(vtt.startsWith("WEBVTT\n\n"), vtt);
    assertEquals(segments.size(), srt.isEmpty() ? 0 : srt.split("\n\n").length, srt);
    assertEquals(segments.size(), vtt.split("\n\n").length - 1, vtt);
  }

  @ParameterizedTest
  @EnumSource(TestAudio.Format.class)
  void everyFormatFromALocalPathEndsAsAStoredResult(TestAudio.Format format) throws Exception {
    Path file = TestAudio.encode(sourceWav, format, audioRoot, "f-" + format.name().toLowerCase());
    JsonObject created = submit(new JsonObject().put("local_path", file.toString()));
    JsonObject done = finished(created.getLong("id"));
    assertEquals("completed", done.getString("status"), done.encode());
    assertEquals(6.0, done.getDouble("duration_seconds"), 0.15);
    assertRenderings(done.getLong("id"), 6.0);
    Path stored = dataDir.resolve("results").resolve(created.getString("uuid"));
    for (String f : List.of("result.json", "transcript.txt", "transcript.srt", "transcript.vtt")) {
      assertTrue(Files.isRegularFile(stored.resolve(f)), f);
    }
    assertTrue(workDirGone(created.getString("uuid")), "temporary files are gone after success");
  }

  @Test
  void readyReportsTheBoundWhisperBackend() {
    HttpResponse<Buffer> r = await(client.get(node.httpPort(), "127.0.0.1", "/ready").send());
    JsonObject whisper = r.bodyAsJsonObject().getJsonObject("whisper");
    assertNotNull(whisper, r.bodyAsString());
    assertEquals("cpu", whisper.getString("backend"));
    assertTrue(whisper.getString("system_info").contains("AVX"), whisper.encode());
    assertTrue(whisper.getString("library").endsWith("libwhisper.so.1"), whisper.encode());
    assertEquals(1, whisper.getInteger("threads_per_job"), whisper.encode());
  }

  @Test
  void wordTimestampsAreComputedWhenAskedFor() throws Exception {
    Path file = TestAudio.encode(sourceWav, TestAudio.Format.FLAC, audioRoot, "words");
    JsonObject with = finished(submit(new JsonObject().put("local_path", file.toString()).put("word_timestamps", true))
        .getLong("id"));
    assertEquals("completed", with.getString("status"), with.encode());
    JsonObject verbose = new JsonObject(result(with.getLong("id"), "verbose_json"));
    JsonArray words = verbose.getJsonArray("words");
    assertNotNull(words, verbose.encode());
    assertFalse(words.isEmpty());
    for (Object o : verbose.getJsonArray("segments")) {
      JsonObject segment = (JsonObject) o;
      for (Object w : segment.getJsonArray("words", new JsonArray())) {
        JsonObject word = (JsonObject) w;
        assertTrue(word.getDouble("start") >= segment.getDouble("start") - 1e-6
            && word.getDouble("end") <= segment.getDouble("end") + 1e-6, word + " in " + segment);
      }
    }
    assertEquals(words, new JsonObject(result(with.getLong("id"), "json")).getJsonArray("words"),
        "the native json carries the same words");
    JsonObject without = finished(submit(new JsonObject().put("local_path", file.toString())).getLong("id"));
    assertFalse(new JsonObject(result(without.getLong("id"), "verbose_json")).containsKey("words"),
        "no word timing unless asked: it costs a pass per token");
  }

  @Test
  void aDownloadedFileGoesThroughWithAnalysis() {
    JsonObject created = submit(new JsonObject().put("url", "http://127.0.0.1:" + filesPort + "/talk.mp3")
        .put("perform_analysis", true).put("api_name", "local"));
    assertEquals("audio_download", created.getString("job_type"));
    JsonObject done = finished(created.getLong("id"));
    assertEquals("completed", done.getString("status"), done.encode());
    JsonObject stored = new JsonObject(readResult(created.getString("uuid")));
    assertTrue(stored.getString("analysis").startsWith("summary of "), stored.encode());
    assertTrue(stored.getJsonArray("chunks") != null);
    assertNotNull(stored.getValue("realtime_factor"));
    assertTrue(workDirGone(created.getString("uuid")));
    // The API shows what the page shows: the analysis in the native json, the real-time factor on the job.
    assertEquals(stored.getString("analysis"), new JsonObject(result(created.getLong("id"), "json")).getString("analysis"));
    assertEquals(stored.getDouble("realtime_factor"), done.getDouble("realtime_factor"), 1e-9, done.encode());
    assertTrue(done.getDouble("processing_time") >= 0, done.encode());
    assertFalse(new JsonObject(result(created.getLong("id"), "json")).containsKey("words"), "no words unasked");
  }

  @Test
  void theProvidersAndTheCallersRoleAreListed() {
    JsonObject providers = await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/providers")
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
    assertEquals(new JsonObject().put("providers", new JsonArray().add(new JsonObject().put("name", "local")
        .put("model", "stand-in"))).put("default", "local"), providers, "names and models only: no base URL");
    JsonObject usage = await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/usage")
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
    assertEquals(Boolean.TRUE, usage.getBoolean("admin"), "the single user of an API key is the admin");
  }

  @Test
  void anUploadGoesThrough() {
    HttpResponse<Buffer> r = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
        .putHeader("X-API-KEY", KEY).sendMultipartForm(MultipartForm.create().attribute("perform_chunking", "false")
            .binaryFileUpload("file", "talk.mp3", audioRoot.resolve("talk.mp3").toString(), "audio/mpeg")));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    JsonObject done = finished(r.bodyAsJsonObject().getLong("id"));
    assertEquals("completed", done.getString("status"), done.encode());
    assertTrue(workDirGone(r.bodyAsJsonObject().getString("uuid")), "the upload is gone once the job completed");
  }

  @Test
  void badInputFailsOnceWithAClearErrorAndLeavesNoTemporaryFiles() throws Exception {
    Path corrupt = audioRoot.resolve("corrupt.mp3");
    byte[] noise = new byte[20_000];
    new Random(7).nextBytes(noise);
    Files.write(corrupt, noise);
    Path empty = Files.write(audioRoot.resolve("empty.wav"), new byte[0]);
    Path text = Files.writeString(audioRoot.resolve("notes.mp3"), "just some text, not audio");
    for (Path bad : List.of(corrupt, empty, text)) {
      JsonObject created = submit(new JsonObject().put("local_path", bad.toString()));
      JsonObject done = finished(created.getLong("id"));
      assertEquals("failed", done.getString("status"), bad + ": " + done.encode());
      assertEquals(0, done.getInteger("retry_count"), "bad input is not retried");
      assertTrue(done.getString("error").startsWith("Failed to load audio"), done.getString("error"));
      String uuid = created.getString("uuid");
      until("temporary files of " + bad.getFileName() + " to go", WAIT, () -> workDirGone(uuid));
    }
  }

  @Test
  void traversalSymlinkEscapeAndLoopbackUrlsAreRefused() throws Exception {
    Path outside = Files.writeString(dir.resolve("secret.wav"), "outside the root");
    Path link = audioRoot.resolve("link.wav");
    Files.deleteIfExists(link);
    Files.createSymbolicLink(link, outside);
    for (String path : List.of(audioRoot + "/../secret.wav", link.toString())) {
      // Refused at submit, before a job exists (the convert stage checks again when it runs).
      HttpResponse<Buffer> r = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
          .putHeader("X-API-KEY", KEY).sendJsonObject(new JsonObject().put("local_path", path)));
      assertEquals(422, r.statusCode(), r.bodyAsString());
      assertEquals("local_path", r.bodyAsJsonObject().getString("field"));
      assertTrue(r.bodyAsJsonObject().getString("detail").contains("not found or not allowed"), r.bodyAsString());
    }
    JsonObject refused = finished(submit(new JsonObject().put("url", "http://[::1]:" + filesPort + "/talk.mp3"))
        .getLong("id"));
    assertEquals("failed", refused.getString("status"));
    assertEquals(0, refused.getInteger("retry_count"));
  }

  @Test
  void aCancelledJobLeavesNoTemporaryFiles() throws Exception {
    Path longWav = TestAudio.writeWav(audioRoot.resolve("long.wav"), 150, 16000, 1);
    JsonObject created = submit(new JsonObject().put("local_path", longWav.toString()));
    long id = created.getLong("id");
    until("transcription to start", WAIT, () -> job(id),
        j -> "audio_transcribe".equals(j.getString("job_type")) && "processing".equals(j.getString("status")));
    HttpResponse<Buffer> cancel = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id + "/cancel")
        .putHeader("X-API-KEY", KEY).send());
    assertEquals(200, cancel.statusCode(), cancel.bodyAsString());
    until("temporary files to go", WAIT, () -> workDirGone(created.getString("uuid")));
    assertEquals("cancelled", job(id).getString("status"));
    assertFalse(Files.exists(dataDir.resolve("results").resolve(created.getString("uuid"))));
    // The abort stopped whisper.cpp mid-decode: the single transcriber slot is free for the next job at once.
    JsonObject next = finished(submit(new JsonObject().put("local_path", sourceWav.toString())).getLong("id"));
    assertEquals("completed", next.getString("status"), next.encode());
  }

  private static String readResult(String uuid) {
    try {
      return Files.readString(dataDir.resolve("results").resolve(uuid).resolve("result.json"));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
