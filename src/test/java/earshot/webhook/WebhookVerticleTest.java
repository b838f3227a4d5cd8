package earshot.webhook;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.api.JobsApiTest;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.Deadlines;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Webhooks end to end over real HTTP: a node (JWT multi-user mode, SQLite, stand-in stages) posts job-end events to a
 * real Vert.x receiver on 127.0.0.1, which checks the signature as a customer would.
 */
class WebhookVerticleTest {
  static final String JWT_SECRET = "a-test-secret-that-is-long-enough-0123456789";
  static final String HOOK_SECRET = "whsec-test-0123456789";
  static final Duration WAIT = Deadlines.WAIT;
  /**
   * How long a delivery waits for the receiver's answer: long enough that the local receiver always answers in time on
   * a loaded machine (a late answer is an unexpected retry), and waited out once by the test of a silent receiver.
   */
  static final Duration HOOK_TIMEOUT = Deadlines.loaded(Duration.ofMillis(300));

  /** What the receiver saw: headers and body of one request. */
  record Received(Map<String, String> headers, String body) {}

  @TempDir
  Path tempDir;

  final Vertx vertx = Vertx.vertx();
  final WebClient client = WebClient.create(vertx);
  final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  /** Statuses the receiver answers with, in order (0: no answer at all); 200 once they run out. */
  final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
  /** Holds "slow" downloads until the test ends. */
  final Promise<Void> slow = Promise.promise();
  HttpServer receiver;
  EarshotNode node;
  String alice;
  String bob;
  String root;

  @BeforeEach
  void start() {
    receiver = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      Map<String, String> headers = new java.util.HashMap<>();
      req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(java.util.Locale.ROOT), h.getValue()));
      received.add(new Received(headers, body.toString(StandardCharsets.UTF_8)));
      Integer status = answers.poll();
      if (status == null || status != 0) {
        req.response().setStatusCode(status == null ? 200 : status).end();
      }
    })).listen(0, "127.0.0.1"));

    EarshotConfig config = TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("audio", new JsonObject().put("download", new JsonObject().put("allow_private", List.of("127.0.0.1/32"))))
        .put("webhooks", new JsonObject().put("secret", HOOK_SECRET).put("max_attempts", 3).put("backoff_ms", 20)
            .put("timeout_ms", HOOK_TIMEOUT.toMillis()))
        .put("api", new JsonObject().put("jwt", new JsonObject().put("algorithm", "HS256").put("secret", JWT_SECRET))));
    node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null, stages(), Clock.systemUTC());
    await(node.start());

    JWTAuth signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(JWT_SECRET)));
    alice = token(signer, "alice");
    bob = token(signer, "bob");
    root = token(signer, "root", "admin");
  }

  /**
   * The API tests' stand-in stages, except that a URL naming "broken" fails for good at audio_convert and one naming
   * "slow" waits in audio_download until the test ends (or the job is cancelled and the stage aborted).
   */
  StageRegistry stages() {
    StageRegistry usual = JobsApiTest.stages();
    return StandInStages.everyStage((stage, ctx) -> {
      String url = ctx.payload().getString(PayloadKeys.URL, "");
      if (stage == JobStage.AUDIO_CONVERT && url.contains("broken")) {
        return Future.succeededFuture(new StageOutcome.Fail("cannot decode: not an audio file"));
      }
      if (stage == JobStage.AUDIO_DOWNLOAD && url.contains("slow")) {
        return slow.future().map(v -> new StageOutcome.Completed(ctx.payload(), null));
      }
      return usual.handler(stage).orElseThrow().execute(ctx);
    });
  }

  @AfterEach
  void stop() {
    slow.tryComplete();
    if (node != null) {
      await(node.stop());
    }
    await(vertx.close());
  }

  static String token(JWTAuth signer, String sub, String... roles) {
    return signer.generateToken(new JsonObject().put("sub", sub).put("role", new JsonArray(List.of((Object[]) roles))),
        new JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(5));
  }

  HttpResponse<Buffer> call(HttpMethod method, String path, String token, JsonObject body) {
    var req = client.request(method, node.httpPort(), "127.0.0.1", "/api/v1/audio" + path)
        .putHeader("Authorization", "Bearer " + token);
    return await(body == null ? req.send() : req.sendJsonObject(body));
  }

  String hook() {
    return "http://127.0.0.1:" + receiver.actualPort() + "/hooks/earshot?src=test";
  }

  long submit(String token, String callbackUrl) {
    return submit(token, callbackUrl, "https://example.org/a.mp3");
  }

  long submit(String token, String callbackUrl, String audioUrl) {
    HttpResponse<Buffer> r = call(HttpMethod.POST, "/jobs/submit", token,
        new JsonObject().put("url", audioUrl).put("callback_url", callbackUrl));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getLong("id");
  }

  JsonArray deliveries(long id, String token, int atLeast) {
    return until("at least " + atLeast + " recorded deliveries of job " + id, WAIT, () -> {
      HttpResponse<Buffer> r = call(HttpMethod.GET, "/jobs/" + id + "/deliveries", token, null);
      assertEquals(200, r.statusCode(), r.bodyAsString());
      return r.bodyAsJsonObject().getJsonArray("deliveries");
    }, list -> list.size() >= atLeast);
  }

  /** The receiver's side of the contract, written independently of {@link WebhookSigner}. */
  static String expectedSignature(String timestamp, String body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(HOOK_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aCompletedJobIsPostedSignedToItsCallback() throws Exception {
    long id = submit(alice, hook());
    until("the webhook", WAIT, () -> !received.isEmpty());
    Received hook = received.peek();
    assertEquals("application/json", hook.headers().get("content-type"));
    assertEquals("job.completed", hook.headers().get("x-earshot-event"));
    String timestamp = hook.headers().get("x-earshot-timestamp");
    assertTrue(Math.abs(Long.parseLong(timestamp) - System.currentTimeMillis() / 1000) < 300, timestamp);
    assertEquals(expectedSignature(timestamp, hook.body()), hook.headers().get("x-earshot-signature"));

    JsonObject body = new JsonObject(hook.body());
    assertEquals("job.completed", body.getString("event"));
    assertEquals(id, body.getJsonObject("job").getLong("id"));
    assertEquals("completed", body.getJsonObject("job").getString("status"));
    assertEquals("alice", body.getJsonObject("job").getString("owner_user_id"));
    assertNull(body.getJsonObject("job").getValue("payload"), "the public view, not the internal job");
    assertEquals("Hello there", body.getJsonObject("result").getString("text").strip());

    JsonObject attempt = deliveries(id, alice, 1).getJsonObject(0);
    assertEquals(hook.headers().get("x-earshot-delivery"), attempt.getString("delivery_id"));
    assertEquals("job.completed", attempt.getString("event"));
    assertEquals(hook(), attempt.getString("url"));
    assertEquals(1, attempt.getInteger("attempt"));
    assertEquals(200, attempt.getInteger("status_code"));
    assertNull(attempt.getValue("error"));
    assertNotNull(attempt.getLong("duration_ms"));
    assertNotNull(attempt.getString("created_at"));
    assertEquals(1, received.size(), "delivered once");
  }

  @Test
  void failedAndCancelledJobsArePostedWithTheirOwnEvents() throws Exception {
    long broken = submit(alice, hook(), "https://example.org/broken.mp3");
    JsonObject failedAttempt = deliveries(broken, alice, 1).getJsonObject(0);
    assertEquals("job.failed", failedAttempt.getString("event"));
    Received failedHook = until("the failed job's webhook", WAIT, () -> received.stream()
        .filter(r -> "job.failed".equals(r.headers().get("x-earshot-event"))).findFirst(), java.util.Optional::isPresent)
        .orElseThrow();
    assertEquals(expectedSignature(failedHook.headers().get("x-earshot-timestamp"), failedHook.body()),
        failedHook.headers().get("x-earshot-signature"));
    JsonObject failedBody = new JsonObject(failedHook.body());
    assertEquals("failed", failedBody.getJsonObject("job").getString("status"));
    assertTrue(failedBody.getJsonObject("job").getString("error").contains("cannot decode"),
        failedBody.encode());
    assertNull(failedBody.getValue("result"), "no result for a failed job");

    long slowJob = submit(alice, hook(), "https://example.org/slow.mp3");
    until("the slow job runs", WAIT, () -> "processing".equals(call(HttpMethod.GET, "/jobs/" + slowJob, alice, null)
        .bodyAsJsonObject().getString("status")));
    assertEquals(200, call(HttpMethod.POST, "/jobs/" + slowJob + "/cancel", alice, null).statusCode());
    JsonObject cancelledAttempt = deliveries(slowJob, alice, 1).getJsonObject(0);
    assertEquals("job.cancelled", cancelledAttempt.getString("event"));
    assertEquals(200, cancelledAttempt.getInteger("status_code"));
    Received cancelledHook = until("the cancelled job's webhook", WAIT, () -> received.stream()
        .filter(r -> "job.cancelled".equals(r.headers().get("x-earshot-event"))).findFirst(),
        java.util.Optional::isPresent).orElseThrow();
    JsonObject cancelledBody = new JsonObject(cancelledHook.body());
    assertEquals(slowJob, cancelledBody.getJsonObject("job").getLong("id"));
    assertEquals("cancelled", cancelledBody.getJsonObject("job").getString("status"));
  }

  @Test
  void aFailedAnswerIsRetriedUnderTheSameDeliveryId() {
    answers.add(500);
    long id = submit(alice, hook());
    JsonArray attempts = deliveries(id, alice, 2);
    assertEquals(2, attempts.size());
    JsonObject first = attempts.getJsonObject(0);
    JsonObject second = attempts.getJsonObject(1);
    assertEquals(1, first.getInteger("attempt"));
    assertEquals(500, first.getInteger("status_code"));
    assertEquals("answered HTTP 500", first.getString("error"));
    assertEquals(2, second.getInteger("attempt"));
    assertEquals(200, second.getInteger("status_code"));
    assertEquals(first.getString("delivery_id"), second.getString("delivery_id"));
    List<String> ids = received.stream().map(r -> r.headers().get("x-earshot-delivery")).distinct().toList();
    assertEquals(List.of(first.getString("delivery_id")), ids, "the receiver saw one delivery, twice");
    assertEquals(2, received.size());
  }

  @Test
  void aCallbackToARefusedAddressIsRecordedAndNotRetried() {
    // 127.0.0.2 is loopback but outside the allow-listed 127.0.0.1/32.
    long refused = submit(alice, "http://127.0.0.2:" + receiver.actualPort() + "/hook");
    JsonObject attempt = deliveries(refused, alice, 1).getJsonObject(0);
    assertNull(attempt.getValue("status_code"));
    assertTrue(attempt.getString("error").startsWith("callback refused:"), attempt.getString("error"));
    String error = attempt.getString("error");
    assertTrue(error.contains("loopback"), error);
    assertTrue(error.contains("webhook") && error.contains("callback_url") && error.contains("127.0.0.2"), error);
    assertTrue(error.contains("audio.download.allow_private") && error.contains("EARSHOT_DOWNLOAD_ALLOW_PRIVATE"),
        error);
    assertTrue(!error.contains("download from"), "not worded as a download: " + error);

    // A later job's delivery completes after the refused one would have been retried (backoff 20 ms).
    long later = submit(alice, hook());
    deliveries(later, alice, 1);
    assertEquals(1, deliveries(refused, alice, 1).size(), "a refused callback is not retried");
    assertTrue(received.stream().noneMatch(r -> new JsonObject(r.body()).getJsonObject("job").getLong("id") == refused),
        "nothing reached the receiver for the refused job");
  }

  @Test
  void anotherOwnersDeliveriesAreNotFound() {
    long id = submit(alice, hook());
    deliveries(id, alice, 1);
    assertEquals(404, call(HttpMethod.GET, "/jobs/" + id + "/deliveries", bob, null).statusCode());
    assertEquals(404, call(HttpMethod.GET, "/jobs/424242/deliveries", alice, null).statusCode());
    assertEquals(400, call(HttpMethod.GET, "/jobs/abc/deliveries", alice, null).statusCode());
    HttpResponse<Buffer> admin = call(HttpMethod.GET, "/jobs/" + id + "/deliveries", root, null);
    assertEquals(200, admin.statusCode(), admin.bodyAsString());
    assertEquals(1, admin.bodyAsJsonObject().getJsonArray("deliveries").size());
    assertNull(admin.bodyAsJsonObject().getJsonArray("deliveries").getJsonObject(0).getValue("job_id"));
  }

  @Test
  void aReceiverThatDoesNotAnswerTimesOutAndIsRetried() {
    answers.add(0);
    long id = submit(alice, hook());
    JsonArray attempts = deliveries(id, alice, 2);
    JsonObject first = attempts.getJsonObject(0);
    assertNull(first.getValue("status_code"));
    assertEquals("no answer within " + HOOK_TIMEOUT.toMillis() + " ms", first.getString("error"));
    assertTrue(first.getLong("duration_ms") >= HOOK_TIMEOUT.toMillis() - 100, first.encode());
    assertEquals(200, attempts.getJsonObject(1).getInteger("status_code"));
  }
}
