package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.Deadlines;
import earshot.testsupport.StandInStages;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import earshot.transcribe.Transcript;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The jobs API over real HTTP, with an API key, a real SQLite store and stand-in stages. */
public class JobsApiTest {
  static final String KEY = "test-key-0123456789abcdef";
  static final Duration WAIT = Deadlines.WAIT;

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  EarshotNode node;

  /** Stages that finish at once; the transcribe stage produces a two-segment transcript. */
  public static StageRegistry stages() {
    return StandInStages.everyStage((stage, ctx) -> {
      JsonObject payload = ctx.payload();
      JsonObject result = null;
      if (stage == JobStage.AUDIO_TRANSCRIBE) {
        boolean words = payload.getBoolean(PayloadKeys.WORD_TIMESTAMPS, false);
        payload.put(PayloadKeys.TRANSCRIPT, new Transcript(" Hello there", "en", 3.0, List.of(
            new Transcript.Segment(0, 0.0, 1.25, " Hello",
                words ? List.of(new Transcript.Word(" Hello", 0.1, 1.2, 0.9)) : List.of(), null),
            new Transcript.Segment(1, 1.25, 3.0, " there",
                words ? List.of(new Transcript.Word(" there", 1.3, 2.9, 0.8)) : List.of(), null)),
            "base").toJson());
      }
      if (stage == JobStage.AUDIO_STORE) {
        result = payload.getJsonObject(PayloadKeys.TRANSCRIPT).copy().put("task", "transcribe");
      }
      return Future.succeededFuture(new StageOutcome.Completed(payload, result));
    });
  }

  void start(boolean runners, long maxUpload) {
    start(runners, maxUpload, new JsonObject());
  }

  void start(boolean runners, long maxUpload, JsonObject overrides) {
    EarshotConfig config = TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("worker_enabled", runners).put("poll_interval_ms", 100))
        .put("api", new JsonObject().put("key", KEY).put("max_upload_bytes", maxUpload)).mergeIn(overrides, true));
    node = api.start(config, stages());
  }

  HttpRequest<Buffer> req(io.vertx.core.http.HttpMethod method, String path) {
    return client.request(method, node.httpPort(), "127.0.0.1", "/api/v1/audio" + path).putHeader("X-API-KEY", KEY);
  }

  HttpResponse<Buffer> post(String path, JsonObject body) {
    return await(req(io.vertx.core.http.HttpMethod.POST, path).sendJsonObject(body));
  }

  HttpResponse<Buffer> get(String path) {
    return await(req(io.vertx.core.http.HttpMethod.GET, path).send());
  }

  static void assertProblem(HttpResponse<Buffer> r, int status, String field) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    assertEquals("application/problem+json", r.getHeader("Content-Type"));
    JsonObject p = r.bodyAsJsonObject();
    assertEquals(status, p.getInteger("status"));
    assertNotNull(p.getString("type"));
    assertNotNull(p.getString("title"));
    assertNotNull(p.getString("detail"));
    if (field != null) {
      assertEquals(field, p.getString("field"), p.encode());
    }
  }

  @Test
  void submitFollowAndFetchEveryFormat() {
    start(true, 1 << 20);
    HttpResponse<Buffer> r = post("/jobs/submit", new JsonObject().put("url", "https://example.org/a.mp3"));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    JsonObject created = r.bodyAsJsonObject();
    long id = created.getLong("id");
    assertEquals("/api/v1/audio/jobs/" + id, r.getHeader("Location"));
    assertEquals("audio", created.getString("domain"));
    assertEquals("audio_download", created.getString("job_type"));
    assertEquals("default", created.getString("queue"));
    assertNotNull(created.getString("uuid"));

    JsonObject done = until("completion", WAIT, () -> get("/jobs/" + id).bodyAsJsonObject(),
        j -> "completed".equals(j.getString("status")));
    assertEquals("1", done.getString("owner_user_id"));
    assertEquals("whisper-1", done.getString("model"));
    assertEquals(100, done.getInteger("progress"));
    assertEquals("audio_store", done.getString("stage"));
    assertEquals(100, done.getInteger("stage_progress"));
    JsonObject listed = get("/jobs").bodyAsJsonObject().getJsonArray("jobs").getJsonObject(0);
    assertEquals(List.of(100, "audio_store", 100),
        List.of(listed.getInteger("progress"), listed.getString("stage"), listed.getInteger("stage_progress")));
    assertNotNull(done.getString("completed_at"));

    HttpResponse<Buffer> json = get("/jobs/" + id + "/result?format=json");
    assertEquals("application/json", json.getHeader("Content-Type"));
    assertEquals(new JsonObject().put("text", "Hello there").put("language", "en"), json.bodyAsJsonObject(),
        "no words: the job did not ask for them");
    assertEquals("Hello there\n", get("/jobs/" + id + "/result?format=text").bodyAsString());
    assertTrue(get("/jobs/" + id + "/result?format=srt").bodyAsString().startsWith("1\n00:00:00,000 --> 00:00:01,250\nHello"));
    assertTrue(get("/jobs/" + id + "/result?format=vtt").bodyAsString().startsWith("WEBVTT\n\n00:00:00.000 --> 00:00:01.250"));
    JsonObject verbose = get("/jobs/" + id + "/result?format=verbose_json").bodyAsJsonObject();
    assertEquals("english", verbose.getString("language"));
    assertEquals(2, verbose.getJsonArray("segments").size());
    assertProblem(get("/jobs/" + id + "/result?format=xml"), 400, "format");
  }

  /** A node whose local_path may read {@code tempDir/audio}, which holds {@code a.wav} and {@code b.wav}. */
  Path startWithAudioRoot() throws Exception {
    Path root = Files.createDirectories(tempDir.resolve("audio"));
    Files.write(root.resolve("a.wav"), wav(1600));
    Files.write(root.resolve("b.wav"), wav(1600));
    start(false, 1 << 20, new JsonObject().put("audio", new JsonObject().put("allowed_roots", List.of(root.toString()))));
    return root;
  }

  @Test
  void nativeJsonCarriesTheLanguageAndTheWordsTheJobAskedFor() {
    start(true, 1 << 20);
    long id = post("/jobs/submit", new JsonObject().put("url", "https://example.org/a.mp3").put("word_timestamps", true))
        .bodyAsJsonObject().getLong("id");
    until("completion", WAIT, () -> get("/jobs/" + id).bodyAsJsonObject(), j -> "completed".equals(j.getString("status")));
    JsonObject json = get("/jobs/" + id + "/result?format=json").bodyAsJsonObject();
    assertEquals("Hello there", json.getString("text"));
    assertEquals("en", json.getString("language"));
    io.vertx.core.json.JsonArray words = json.getJsonArray("words");
    assertEquals(2, words.size(), json.encode());
    assertEquals(new JsonObject().put("word", " there").put("start", 1.3).put("end", 2.9).put("probability", 0.8),
        words.getJsonObject(1));
    assertEquals(json, get("/jobs/" + id + "/result").bodyAsJsonObject(), "json is the default format");
  }

  @Test
  void queuedJobsShowTheirPlaceAndCanBeCancelledOnce() throws Exception {
    Path root = startWithAudioRoot();
    long first = post("/jobs/submit", new JsonObject().put("local_path", root + "/a.wav")).bodyAsJsonObject().getLong("id");
    long second = post("/jobs/submit", new JsonObject().put("local_path", root + "/b.wav")).bodyAsJsonObject().getLong("id");
    assertEquals(2, get("/jobs/" + second).bodyAsJsonObject().getInteger("queue_position"));
    assertProblem(get("/jobs/" + first + "/result"), 409, null);

    HttpResponse<Buffer> cancelled = post("/jobs/" + first + "/cancel", new JsonObject());
    assertEquals(200, cancelled.statusCode(), cancelled.bodyAsString());
    assertEquals("cancelled", cancelled.bodyAsJsonObject().getString("status"));
    assertProblem(post("/jobs/" + first + "/cancel", new JsonObject()), 409, null);
    assertProblem(post("/jobs/" + second + "/retry", new JsonObject()), 409, null);
    HttpResponse<Buffer> retried = post("/jobs/" + first + "/retry", new JsonObject());
    assertEquals(200, retried.statusCode(), retried.bodyAsString());
    assertEquals("queued", retried.bodyAsJsonObject().getString("status"));
    assertEquals(1, get("/jobs/" + first).bodyAsJsonObject().getInteger("queue_position"), "back in line, by age");
    assertEquals(2, get("/jobs/" + second).bodyAsJsonObject().getInteger("queue_position"));
    assertEquals(200, post("/jobs/" + first + "/cancel", new JsonObject()).statusCode());
    assertEquals(1, get("/jobs/" + second).bodyAsJsonObject().getInteger("queue_position"));
    assertNull(get("/jobs/" + first).bodyAsJsonObject().getValue("queue_position"));
    assertProblem(post("/jobs/424242/retry", new JsonObject()), 404, null);
  }

  @Test
  void badInputIsAProblemNamingTheField() {
    start(false, 1 << 20);
    assertProblem(await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/submit")
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{not json"))), 400, "body");
    assertProblem(post("/jobs/submit", new JsonObject()), 400, "url");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("local_path", "/x")), 400, "url");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "ftp://a/b")), 400, "url");
    assertProblem(post("/jobs/submit", new JsonObject().put("local_path", "relative/x.wav")), 400, "local_path");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("priority", -1)), 400, "priority");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("translate", "yes")), 400, "translate");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("model", 7)), 400, "model");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("model", "gpt-4o")), 422, "model");
    assertProblem(get("/jobs/abc"), 400, "id");
    assertProblem(get("/jobs/999999"), 404, null);
    assertProblem(get("/jobs?limit=0"), 400, "limit");
    assertProblem(get("/jobs?status=done"), 400, "status");
    assertProblem(get("/jobs/admin/list?limit=201"), 400, "limit");
  }

  @Test
  void localPathIsRefusedAtSubmitWhileItIsSwitchedOff() {
    start(false, 1 << 20);
    HttpResponse<Buffer> r = post("/jobs/submit", new JsonObject().put("local_path", "/srv/a.wav"));
    assertProblem(r, 422, "local_path");
    String detail = r.bodyAsJsonObject().getString("detail");
    assertTrue(detail.contains("audio.allowed_roots") && detail.contains("EARSHOT_ALLOWED_ROOTS"), detail);
    assertEquals(0, get("/jobs").bodyAsJsonObject().getJsonArray("jobs").size(), "no job exists");
  }

  @Test
  void localPathOutsideTheAllowedRootsIsRefusedAtSubmit() throws Exception {
    Path root = startWithAudioRoot();
    Path outside = Files.write(tempDir.resolve("secret.wav"), wav(1600));
    Path link = Files.createSymbolicLink(root.resolve("link.wav"), outside);
    for (String path : List.of(outside.toString(), root + "/../secret.wav", link.toString(), root + "/missing.wav",
        root.toString())) {
      HttpResponse<Buffer> r = post("/jobs/submit", new JsonObject().put("local_path", path));
      assertProblem(r, 422, "local_path");
      assertTrue(r.bodyAsJsonObject().getString("detail").contains("EARSHOT_ALLOWED_ROOTS"), r.bodyAsString());
    }
    assertEquals(0, get("/jobs").bodyAsJsonObject().getJsonArray("jobs").size(), "no job exists");
    Files.createDirectories(root.resolve("sub"));
    assertEquals(202, post("/jobs/submit", new JsonObject().put("local_path", root + "/sub/../a.wav")).statusCode());
  }

  @Test
  void theApiKeyIsRequired() {
    start(false, 1 << 20);
    HttpResponse<Buffer> none = await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs").send());
    assertProblem(none, 401, null);
    HttpResponse<Buffer> wrong = await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs")
        .putHeader("X-API-KEY", "nope").send());
    assertProblem(wrong, 401, null);
    assertEquals(200, get("/jobs").statusCode());
    assertEquals(200, await(client.get(node.httpPort(), "127.0.0.1", "/health").send()).statusCode(),
        "health needs no key");
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheFirstJob() {
    start(false, 1 << 20);
    JsonObject body = new JsonObject().put("url", "https://example.org/a.mp3");
    HttpResponse<Buffer> a = await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/submit")
        .putHeader("Idempotency-Key", "k-1").sendJsonObject(body));
    HttpResponse<Buffer> b = await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/submit")
        .putHeader("Idempotency-Key", "k-1").sendJsonObject(body));
    assertEquals(a.bodyAsJsonObject().getLong("id"), b.bodyAsJsonObject().getLong("id"));
    assertEquals(1, get("/jobs").bodyAsJsonObject().getJsonArray("jobs").size());
  }

  @Test
  void listPagesWithACursorAndAdminViewsSummarize() {
    start(false, 1 << 20);
    for (int i = 0; i < 5; i++) {
      post("/jobs/submit", new JsonObject().put("url", "https://example.org/" + i + ".mp3"));
    }
    JsonObject page1 = get("/jobs?limit=2").bodyAsJsonObject();
    assertEquals(2, page1.getJsonArray("jobs").size());
    JsonObject page2 = get("/jobs?limit=2&cursor=" + page1.getLong("next_cursor")).bodyAsJsonObject();
    assertTrue(page2.getJsonArray("jobs").getJsonObject(0).getLong("id")
        < page1.getJsonArray("jobs").getJsonObject(1).getLong("id"));
    JsonObject summary = get("/jobs/admin/summary").bodyAsJsonObject();
    assertEquals(5, summary.getInteger("total"));
    assertEquals(5, summary.getJsonObject("counts_by_status").getInteger("queued"));
    assertEquals(5, get("/jobs/admin/list?status=queued&owner_user_id=1").bodyAsJsonObject().getJsonArray("jobs").size());
    JsonObject stats = get("/queue/stats").bodyAsJsonObject();
    assertEquals("default", stats.getJsonArray("queues").getJsonObject(0).getString("queue"));
    assertEquals(5, stats.getJsonArray("queues").getJsonObject(0).getInteger("queued"));
    assertEquals("sqlite", stats.getJsonObject("store").getString("kind"));
    assertEquals(new JsonObject().put("configured", false).put("status", "NOT_CONFIGURED"), stats.getJsonObject("redis"));
  }

  @Test
  void onlyLanguagesWhisperKnowsAreAccepted() throws Exception {
    start(false, 1 << 20);
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("language", "xx")), 400,
        "language");
    assertProblem(post("/jobs/submit", new JsonObject().put("url", "https://a/b").put("language", "english")), 400,
        "language");
    Path wav = Files.write(tempDir.resolve("tone.wav"), wav(16000));
    HttpResponse<Buffer> upload = await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().attribute("language", "xx").binaryFileUpload("file", "tone.wav", wav.toString(),
            "audio/wav")));
    assertProblem(upload, 400, "language");
    assertTrue(upload.bodyAsJsonObject().getString("detail").contains("'xx'"), upload.bodyAsString());
    for (String ok : List.of("mk", "MK", "haw", "yue", "auto")) {
      assertEquals(202, post("/jobs/submit", new JsonObject().put("url", "https://a/" + ok).put("language", ok))
          .statusCode(), ok);
    }
  }

  @Test
  void uploadsAreSniffedAndLimited() throws Exception {
    start(false, 64 * 1024);
    Path wav = tempDir.resolve("tone.wav");
    Files.write(wav, wav(16000));
    HttpResponse<Buffer> ok = await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().attribute("perform_chunking", "false").binaryFileUpload("file", "tone.wav",
            wav.toString(), "audio/wav")));
    assertEquals(202, ok.statusCode(), ok.bodyAsString());
    assertEquals("audio_convert", ok.bodyAsJsonObject().getString("job_type"));
    String uuid = ok.bodyAsJsonObject().getString("uuid");
    assertTrue(Files.exists(tempDir.resolve("data/jobs/" + uuid + "/upload.wav")), "stored in the artifact store");

    Path text = tempDir.resolve("notes.mp3");
    Files.writeString(text, "this is not audio at all, just text pretending");
    assertProblem(await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().binaryFileUpload("file", "notes.mp3", text.toString(), "audio/mpeg"))), 415, "file");

    byte[] atLimit = java.util.Arrays.copyOf(wav(40000), 64 * 1024); // a WAV padded to exactly the 64 KiB limit
    Path exact = Files.write(tempDir.resolve("exact.wav"), atLimit);
    assertEquals(202, await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().binaryFileUpload("file", "exact.wav", exact.toString(), "audio/wav"))).statusCode(),
        "a file exactly at the limit is accepted");
    Path over = Files.write(tempDir.resolve("over.wav"), java.util.Arrays.copyOf(atLimit, 64 * 1024 + 1));
    assertProblem(await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().binaryFileUpload("file", "over.wav", over.toString(), "audio/wav"))), 413, "file");
    Path big = tempDir.resolve("big.wav");
    Files.write(big, wav(100_000)); // ~200 KB: past the body limit, reading stops there
    assertProblem(await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().binaryFileUpload("file", "big.wav", big.toString(), "audio/wav"))), 413, null);
    assertProblem(await(req(io.vertx.core.http.HttpMethod.POST, "/jobs/upload").sendMultipartForm(
        MultipartForm.create().attribute("model", "base"))), 400, "file");
  }

  /** A 16 kHz mono 16-bit WAV of {@code samples} samples of a quiet tone. */
  static byte[] wav(int samples) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(44 + samples * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes()).putInt(36 + samples * 2).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
        .putShort((short) 1).putShort((short) 1).putInt(16000).putInt(32000).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes()).putInt(samples * 2);
    for (int i = 0; i < samples; i++) {
      b.putShort((short) (3000 * Math.sin(2 * Math.PI * 440 * i / 16000.0)));
    }
    return b.array();
  }
}
