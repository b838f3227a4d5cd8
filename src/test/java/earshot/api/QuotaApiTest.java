package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.config.EarshotConfig;
import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.metrics.MicrometerJobMetrics;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.Deadlines;
import earshot.testsupport.MutableClock;
import earshot.testsupport.StandInStages;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiers and quotas over real HTTP in multi-user (JWT) mode: the 429 problems (queued jobs, daily minutes with
 * Retry-After), jobs that fail on a quota (and answer 409 for their result), the admin tier, processing and
 * summary-by-owner endpoints, a user's own usage, and a tier change that the next acquisition applies.
 */
class QuotaApiTest {
  static final Duration WAIT = Deadlines.WAIT;

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  /** 23:00 UTC: the day ends in an hour, so a daily-minutes refusal says Retry-After: 3600. */
  final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T23:00:00Z"));
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** audio_download waits on this while {@link #hold} is set, so jobs stay processing. */
  final Promise<Void> gate = Promise.promise();
  volatile boolean hold;
  /** audio_chunk fails once for a job whose URL names "flaky". */
  final java.util.Set<Long> failedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
  EarshotNode node;
  String alice;
  String bob;
  String admin;

  @BeforeEach
  void start() {
    EarshotConfig config = TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("runners", new JsonObject().put("cpu_slots", 8))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("api", new JsonObject().put("jwt", new JsonObject().put("algorithm", "HS256")
            .put("secret", JwtApiTest.SECRET)))
        .put("quota", new JsonObject().put("default_tier", "free").put("tiers", new JsonObject()
            .put("free", new JsonObject().put("concurrent_jobs", 1).put("concurrent_streams", 1)
                .put("daily_minutes", 2).put("max_file_minutes", 30).put("max_queued_jobs", 3))
            .put("premium", new JsonObject().put("concurrent_jobs", 3).put("concurrent_streams", 3)
                .put("daily_minutes", 100).put("max_queued_jobs", 100).put("weight", 3)))));
    node = api.start(config, new MicrometerJobMetrics(registry), registry, stages(), clock);
    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(JwtApiTest.SECRET)));
    alice = JwtApiTest.token(signer, "HS256", "alice");
    bob = JwtApiTest.token(signer, "HS256", "bob");
    admin = JwtApiTest.token(signer, "HS256", "root", "admin");
  }

  /** Lets held stages finish before {@link ApiNode} stops the node. */
  @AfterEach
  void release() {
    gate.tryComplete();
  }

  /**
   * Stand-in stages: audio_convert reports the duration named by the URL's or upload's file name ({@code 90.mp3} is
   * 90 s), audio_download waits on the gate while {@link #hold} is set.
   */
  StageRegistry stages() {
    return StandInStages.everyStage((stage, ctx) -> {
      JsonObject payload = ctx.payload();
      String url = payload.getString(PayloadKeys.URL, payload.getString(PayloadKeys.FILE_NAME));
      if (stage == JobStage.AUDIO_CONVERT && url.contains("bomb")) {
        // What the real ConvertStage reports when it stops a decode at the tier's longest file.
        String detail = "the audio is longer than 30 minutes (decoding stopped there)";
        return Future.succeededFuture(new StageOutcome.Fail("quota_exceeded: max_file_minutes: " + detail,
            JobFailure.quotaExceeded("max_file_minutes", detail)));
      }
      if (stage == JobStage.AUDIO_CONVERT) {
        String name = url.substring(url.lastIndexOf('/') + 1, url.lastIndexOf('.'));
        payload.put(PayloadKeys.DURATION_SECONDS, Double.parseDouble(name));
      }
      if (stage == JobStage.AUDIO_CHUNK && url.contains("flaky") && failedOnce.add(ctx.job().id())) {
        return Future.succeededFuture(new StageOutcome.Fail("chunking broke"));
      }
      JsonObject result = stage == JobStage.AUDIO_STORE ? new JsonObject().put("text", "ok") : null;
      Future<Void> wait = stage == JobStage.AUDIO_DOWNLOAD && hold ? gate.future() : Future.succeededFuture();
      return wait.map(v -> new StageOutcome.Completed(payload, result));
    });
  }

  HttpResponse<Buffer> call(HttpMethod method, String path, String token, JsonObject body) {
    var req = client.request(method, node.httpPort(), "127.0.0.1", "/api/v1/audio" + path)
        .putHeader("Authorization", "Bearer " + token);
    return await(body == null ? req.send() : req.sendJsonObject(body));
  }

  HttpResponse<Buffer> submit(String token, int seconds) {
    return call(HttpMethod.POST, "/jobs/submit", token,
        new JsonObject().put("url", "https://example.org/" + seconds + ".mp3"));
  }

  HttpResponse<Buffer> submitFlaky(String token, int seconds) {
    return call(HttpMethod.POST, "/jobs/submit", token,
        new JsonObject().put("url", "https://example.org/flaky/" + seconds + ".mp3"));
  }

  double minutesUsed(String token) {
    return call(HttpMethod.GET, "/usage", token, null).bodyAsJsonObject().getDouble("minutes_used");
  }

  JsonObject finished(String token, long id) {
    return until("job " + id + " finishes", WAIT, () -> call(HttpMethod.GET, "/jobs/" + id, token, null)
        .bodyAsJsonObject(), j -> List.of("completed", "failed", "cancelled").contains(j.getString("status")));
  }

  static JsonObject quotaProblem(HttpResponse<Buffer> r, String quota) {
    JobsApiTest.assertProblem(r, 429, null);
    JsonObject p = r.bodyAsJsonObject();
    assertEquals("https://earshot.dev/problems/quota_exceeded", p.getString("type"));
    assertEquals(quota, p.getString("quota"), p.encode());
    return p;
  }

  /** A quota refusal on /v1, in the OpenAI error shape the SDKs read; returns its error object. */
  static JsonObject openAiQuotaError(HttpResponse<Buffer> r) {
    assertEquals(429, r.statusCode(), r.bodyAsString());
    assertEquals("application/json", r.getHeader("Content-Type"));
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertEquals("insufficient_quota", error.getString("type"), error.encode());
    assertEquals("quota_exceeded", error.getString("code"), error.encode());
    return error;
  }

  String scrape() {
    return await(client.get(node.httpPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
  }

  @Test
  void submissionsBeyondTheQueuedJobsLimitAre429() throws Exception {
    hold = true;
    for (int i = 0; i < 3; i++) {
      assertEquals(202, submit(alice, 10).statusCode());
    }
    JsonObject p = quotaProblem(submit(alice, 10), "queued_jobs");
    assertEquals("free", p.getString("tier"));
    assertEquals(3.0, p.getDouble("limit"));
    assertTrue(p.getString("detail").contains("3 unfinished jobs"), p.getString("detail"));
    assertEquals(202, submit(bob, 10).statusCode(), "another owner has their own limit");
    assertTrue(scrape().contains("audio_quota_hits_total{type=\"queued_jobs\"} 1.0"), "quota hit counted");

    // The OpenAI endpoint (in OpenAI's error shape) and uploads are refused the same way, and the refused upload is
    // not kept.
    java.nio.file.Path wav = java.nio.file.Files.write(tempDir.resolve("speech.wav"), JobsApiTest.wav(16000));
    HttpResponse<Buffer> openAi = await(client.post(node.httpPort(), "127.0.0.1", "/v1/audio/transcriptions")
        .putHeader("Authorization", "Bearer " + alice)
        .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
            .binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav").attribute("model", "whisper-1")));
    assertTrue(openAiQuotaError(openAi).getString("message").contains("3 unfinished jobs"), openAi.bodyAsString());
    HttpResponse<Buffer> upload = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
        .putHeader("Authorization", "Bearer " + alice)
        .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
            .binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav")));
    quotaProblem(upload, "queued_jobs");
    java.nio.file.Path work = tempDir.resolve("data").resolve("jobs"); // the dir artifact store's job files
    until("the refused uploads are deleted", WAIT, () -> {
      try (var dirs = java.nio.file.Files.list(work)) {
        return dirs.count() == 0;
      } catch (java.io.IOException e) {
        return !java.nio.file.Files.exists(work);
      }
    });
  }

  @Test
  void anUploadLongerThanTheTierAllowsIsRefusedBeforeItBecomesAJob() throws Exception {
    // 64 KB whose header declares 9.1 hours (16-bit samples at 1 Hz, a gigabyte once decoded); free files: 30 min.
    Path bomb = earshot.audio.AudioBombs.silentWav(tempDir.resolve("hours.wav"), 1, 64 * 1024, true);
    HttpResponse<Buffer> upload = uploadAs(alice, "/api/v1/audio/jobs/upload", bomb, false);
    JsonObject p = quotaProblem(upload, "max_file_minutes");
    assertEquals("free", p.getString("tier"));
    assertEquals(30.0, p.getDouble("limit"));
    assertTrue(p.getString("detail").contains("the audio is 546.1 minutes long"), p.getString("detail"));
    assertEquals(null, upload.getHeader("Retry-After"), "waiting does not help");
    HttpResponse<Buffer> openAi = uploadAs(alice, "/v1/audio/transcriptions", bomb, true);
    assertTrue(openAiQuotaError(openAi).getString("message").contains("546.1 minutes"), openAi.bodyAsString());
    assertEquals(0, call(HttpMethod.GET, "/jobs", alice, null).bodyAsJsonObject().getJsonArray("jobs").size(),
        "no job was created");
    java.nio.file.Path work = tempDir.resolve("data").resolve("jobs"); // the dir artifact store's job files
    assertTrue(!java.nio.file.Files.exists(work) || earshot.audio.AudioBombs.bytesUnder(work) == 0,
        "the refused uploads were not kept");

    // The limit is the tier's: premium has none, so the same file is accepted (its job's stand-in stages pass).
    assertEquals(200, call(HttpMethod.PUT, "/jobs/admin/tiers/bob", admin, new JsonObject().put("tier", "premium"))
        .statusCode());
    assertEquals(202, uploadAs(bob, "/api/v1/audio/jobs/upload", bomb, false).statusCode());
  }

  @Test
  void aJobTheConverterStopsOnItsLengthFailsAndIsCountedLikeTheSchedulersRefusals() {
    long id = call(HttpMethod.POST, "/jobs/submit", alice,
        new JsonObject().put("url", "https://example.org/bomb/1.flac")).bodyAsJsonObject().getLong("id");
    JsonObject failed = finished(alice, id);
    assertTrue(failed.getString("error").startsWith("quota_exceeded: max_file_minutes: "), failed.encode());
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/" + id + "/result", alice, null), 409, null);
    assertTrue(scrape().contains("audio_quota_hits_total{type=\"max_file_minutes\"} 1.0"), "quota hit counted");
  }

  HttpResponse<Buffer> uploadAs(String token, String path, Path file, boolean openAi) {
    var form = io.vertx.ext.web.multipart.MultipartForm.create()
        .binaryFileUpload("file", file.getFileName().toString(), file.toString(), "audio/wav");
    if (openAi) {
      form.attribute("model", "whisper-1");
    }
    return await(client.post(node.httpPort(), "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
        .sendMultipartForm(form));
  }

  @Test
  void dailyMinutesAreUsedThenRefusedUntilMidnight() throws Exception {
    long first = submit(alice, 90).bodyAsJsonObject().getLong("id");
    assertEquals("completed", finished(alice, first).getString("status"));
    JsonObject usage = until("the 90 s are settled", WAIT,
        () -> call(HttpMethod.GET, "/usage", alice, null).bodyAsJsonObject(),
        u -> u.getDouble("minutes_used") == 1.5);
    assertEquals("alice", usage.getString("owner_user_id"));
    assertEquals(Boolean.FALSE, usage.getBoolean("admin"));
    assertEquals(Boolean.TRUE, call(HttpMethod.GET, "/usage", admin, null).bodyAsJsonObject().getBoolean("admin"));
    assertEquals("free", usage.getString("tier"));
    assertEquals("2026-11-23", usage.getString("day"));
    assertEquals(0.5, usage.getDouble("minutes_left"));
    assertEquals("2026-11-24T00:00:00Z", usage.getString("resets_at"));
    assertEquals(2, usage.getJsonObject("limits").getInteger("daily_minutes"));

    // 60 s does not fit into the 30 s left: the job fails before transcription, and its result is a 409.
    long tooLong = submit(alice, 60).bodyAsJsonObject().getLong("id");
    JsonObject failed = finished(alice, tooLong);
    assertEquals("failed", failed.getString("status"));
    assertTrue(failed.getString("error").startsWith("quota_exceeded: daily_minutes: "), failed.getString("error"));
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/" + tooLong + "/result", alice, null), 409, null);
    // The OpenAI endpoint waits for such a job and answers its quota failure as a 429 in OpenAI's shape.
    java.nio.file.Path minute = java.nio.file.Files.write(tempDir.resolve("60.wav"), JobsApiTest.wav(16000));
    HttpResponse<Buffer> sync = await(client.post(node.httpPort(), "127.0.0.1", "/v1/audio/transcriptions")
        .putHeader("Authorization", "Bearer " + alice)
        .sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
            .binaryFileUpload("file", "60.wav", minute.toString(), "audio/wav").attribute("model", "whisper-1")));
    JsonObject syncError = openAiQuotaError(sync);
    assertTrue(syncError.getString("message").contains("only 0.5 of the 2 daily minutes"), syncError.encode());
    // Longer than any free file may be: refused for max_file_minutes, whatever is left.
    JsonObject huge = finished(alice, submit(alice, 1900).bodyAsJsonObject().getLong("id"));
    assertTrue(huge.getString("error").startsWith("quota_exceeded: max_file_minutes: "), huge.getString("error"));
    assertEquals(1.5, call(HttpMethod.GET, "/usage", alice, null).bodyAsJsonObject().getDouble("minutes_used"),
        "failed jobs use nothing");

    assertEquals("completed", finished(alice, submit(alice, 30).bodyAsJsonObject().getLong("id"))
        .getString("status"));
    HttpResponse<Buffer> refused = until("the day's minutes are used up", WAIT, () -> submit(alice, 1),
        r -> r.statusCode() == 429);
    quotaProblem(refused, "daily_minutes");
    assertEquals("3600", refused.getHeader("Retry-After"), "next UTC midnight");
    assertEquals(202, submit(bob, 1).statusCode(), "bob has his own minutes");

    clock.advance(Duration.ofHours(1));
    assertEquals(202, submit(alice, 1).statusCode(), "a new UTC day");
    assertTrue(scrape().contains("audio_quota_hits_total{type=\"daily_minutes\"}"));
  }

  @Test
  void aRetryAfterTranscriptionChargesItsMinutesAgainOrIs429WhenNoneAreLeft() {
    long flaky = submitFlaky(alice, 60).bodyAsJsonObject().getLong("id");
    assertEquals("failed", finished(alice, flaky).getString("status"));
    assertEquals(0.0, until("the refund", WAIT, () -> call(HttpMethod.GET, "/usage", alice, null).bodyAsJsonObject(),
        u -> u.getDouble("minutes_reserved") == 0.0).getDouble("minutes_used"));
    HttpResponse<Buffer> retried = call(HttpMethod.POST, "/jobs/" + flaky + "/retry", alice, null);
    assertEquals(200, retried.statusCode(), retried.bodyAsString());
    assertEquals("audio_chunk", retried.bodyAsJsonObject().getString("job_type"), "resumes where it failed");
    assertEquals("completed", finished(alice, flaky).getString("status"));
    until("the retried job's minute is used", WAIT, () -> minutesUsed(alice) == 1.0);

    // Another flaky minute fails and is refunded; a 90 s job then leaves 30 s, too little for its retry.
    long second = submitFlaky(alice, 60).bodyAsJsonObject().getLong("id");
    assertEquals("failed", finished(alice, second).getString("status"));
    assertEquals("completed", finished(alice, submit(alice, 30).bodyAsJsonObject().getLong("id"))
        .getString("status"));
    until("1.5 minutes used", WAIT, () -> minutesUsed(alice) == 1.5);
    HttpResponse<Buffer> refused = call(HttpMethod.POST, "/jobs/" + second + "/retry", alice, null);
    JsonObject p = quotaProblem(refused, "daily_minutes");
    assertEquals("3600", refused.getHeader("Retry-After"));
    assertTrue(p.getString("detail").contains("only 0.5 of the 2 daily minutes"), p.getString("detail"));
    assertEquals("failed", call(HttpMethod.GET, "/jobs/" + second, alice, null).bodyAsJsonObject()
        .getString("status"), "a refused retry leaves the job as it was");
  }

  @Test
  void adminTierEndpointsAndATierChangeAppliesToTheNextAcquisition() {
    hold = true;
    for (int i = 0; i < 3; i++) {
      assertEquals(202, submit(alice, 10).statusCode());
    }
    JsonObject processing = until("alice runs one job", WAIT,
        () -> call(HttpMethod.GET, "/jobs/admin/owner/alice/processing", admin, null).bodyAsJsonObject(),
        j -> j.getInteger("processing") == 1);
    assertEquals(new JsonObject().put("owner_user_id", "alice").put("processing", 1).put("limit", 1), processing);

    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/admin/tiers/alice", alice, null), 403, null);
    JobsApiTest.assertProblem(call(HttpMethod.PUT, "/jobs/admin/tiers/alice", alice,
        new JsonObject().put("tier", "premium")), 403, null);
    JobsApiTest.assertProblem(call(HttpMethod.PUT, "/jobs/admin/tiers/alice", admin,
        new JsonObject().put("tier", "gold")), 422, "tier");
    JobsApiTest.assertProblem(call(HttpMethod.PUT, "/jobs/admin/tiers/alice", admin, new JsonObject()), 400, "tier");
    JsonObject before = call(HttpMethod.GET, "/jobs/admin/tiers/alice", admin, null).bodyAsJsonObject();
    assertEquals("free", before.getString("tier"));
    assertEquals(false, before.getBoolean("assigned"));

    HttpResponse<Buffer> put = call(HttpMethod.PUT, "/jobs/admin/tiers/alice", admin,
        new JsonObject().put("tier", "premium"));
    assertEquals(200, put.statusCode(), put.bodyAsString());
    assertEquals("premium", put.bodyAsJsonObject().getString("tier"));
    assertEquals(true, put.bodyAsJsonObject().getBoolean("assigned"));
    assertEquals(3, put.bodyAsJsonObject().getJsonObject("limits").getInteger("concurrent_jobs"));

    until("the next acquisitions apply premium", WAIT,
        () -> call(HttpMethod.GET, "/jobs/admin/owner/alice/processing", admin, null).bodyAsJsonObject(),
        j -> j.getInteger("processing") == 3 && j.getInteger("limit") == 3);
    JsonObject usage = call(HttpMethod.GET, "/usage", alice, null).bodyAsJsonObject();
    assertEquals("premium", usage.getString("tier"));
    assertEquals(3, usage.getJsonObject("active").getInteger("jobs"));
    assertTrue(scrape().contains("audio_active_jobs{owner=\"alice\"} 3.0"), "the node holds alice's 3 jobs");

    assertEquals(202, submit(bob, 10).statusCode());
    JsonObject byOwner = call(HttpMethod.GET, "/jobs/admin/summary-by-owner", admin, null).bodyAsJsonObject();
    JsonObject aliceRow = byOwner.getJsonArray("owners").stream().map(JsonObject.class::cast)
        .filter(o -> o.getString("owner_user_id").equals("alice")).findFirst().orElseThrow();
    assertEquals(3, aliceRow.getJsonObject("counts_by_status").getInteger("processing"));
    assertEquals(3, aliceRow.getInteger("total"));
    assertTrue(byOwner.getJsonArray("owners").stream().map(JsonObject.class::cast)
        .anyMatch(o -> o.getString("owner_user_id").equals("bob")));
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/admin/summary-by-owner", bob, null), 403, null);

    hold = false;
    gate.complete();
  }
}
