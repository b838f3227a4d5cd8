package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.ApiNode;
import earshot.testsupport.Deadlines;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live job events over a real WebSocket client and a real HTTP client reading SSE, against a whole node (real SQLite
 * store, the event log, stand-in stages that report progress and wait for the test's gate before finishing).
 */
class JobEventsApiTest {
  static final String SECRET = "a-test-secret-that-is-long-enough-0123456789";
  static final String KEY = "test-key-0123456789abcdef";
  static final Duration WAIT = Deadlines.WAIT;

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  // Referenced for the whole test: Vert.x closes clients that are no longer referenced.
  final NetClient net = vertx.createNetClient();
  final WebSocketClient webSockets = vertx.createWebSocketClient();
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /** Every stage reports 50 % and then waits for this before it completes. */
  final Promise<Void> gate = Promise.promise();
  EarshotNode node;
  JWTAuth signer;

  /** A stage still at the gate would hold the node's stop for its shutdown grace. */
  @AfterEach
  void openTheGate() {
    gate.tryComplete();
  }

  StageRegistry stages() {
    return StandInStages.everyStage((stage, ctx) -> {
      ctx.progress(50);
      return gate.future().map(v -> new StageOutcome.Completed(ctx.payload(),
          stage == JobStage.AUDIO_STORE ? new JsonObject().put("text", "hello") : null));
    });
  }

  void start(JsonObject apiSection) {
    start(apiSection, new JsonObject());
  }

  void start(JsonObject apiSection, JsonObject overrides) {
    EarshotConfig config = TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100).put("shutdown_grace_seconds", 1))
        .put("quota", TestConfigs.unlimitedQuota(8))
        .put("events", new JsonObject().put("keepalive_seconds", 1))
        .put("api", apiSection).mergeIn(overrides, true));
    node = api.start(config, NoopJobMetrics.INSTANCE, registry, stages(), Clock.systemUTC());
  }

  void startMultiUser() {
    startMultiUser(new JsonObject());
  }

  void startMultiUser(JsonObject overrides) {
    start(new JsonObject().put("jwt", new JsonObject().put("algorithm", "HS256").put("secret", SECRET)), overrides);
    signer = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
  }

  String token(String sub, String... roles) {
    return signer.generateToken(new JsonObject().put("sub", sub).put("role", new JsonArray(List.of((Object[]) roles))),
        new JWTOptions().setAlgorithm("HS256").setExpiresInMinutes(5));
  }

  static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  long submit(String token) {
    HttpResponse<Buffer> r = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
        .putHeader("Authorization", "Bearer " + token)
        .sendJsonObject(new JsonObject().put("url", "https://example.org/a.mp3")));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject().getLong("id");
  }

  JsonObject view(long id, String token) {
    return await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id)
        .putHeader("Authorization", "Bearer " + token).send()).bodyAsJsonObject();
  }

  SseReader sse(String uri, Map<String, String> headers) {
    return await(SseReader.open(net, node.httpPort(), "/api/v1/audio" + uri, headers));
  }

  /** A WebSocket whose text messages collect in {@code into}; {@code closed} completes when the server closes it. */
  Future<WebSocket> webSocket(String uri, Map<String, String> headers, List<JsonObject> into, Promise<Short> closed) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort())
        .setURI("/api/v1/audio" + uri);
    headers.forEach(options::addHeader);
    // Connected from an event-loop context, so the connection runs on that loop and the handlers are set before it
    // reads the first frame (set from another thread, a frame arriving with the handshake could be missed).
    Promise<WebSocket> connected = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> webSockets.connect(options).map(ws -> {
      ws.textMessageHandler(text -> into.add(new JsonObject(text)));
      ws.closeHandler(c -> closed.tryComplete(ws.closeStatusCode()));
      return ws;
    }).onComplete(connected));
    return connected.future();
  }

  double subscribers() {
    return registry.find("job.event.subscribers").gauge().value();
  }

  /**
   * The whole life of a job that ran its five stages: seqs rise, it starts queued or processing and ends with the end
   * event of a completed job, shows progress on the way, and each event is the job as GET /jobs/{id} shows it.
   */
  static void assertFullSequence(long id, List<JsonObject> events, JsonObject finalView) {
    assertTrue(events.size() >= 3, events.toString());
    long previous = -1; // a first event may have seq 0: the job's state before its first event was recorded
    for (JsonObject e : events) {
      assertEquals(id, e.getLong("id"));
      assertTrue(e.getLong("seq") > previous, "seq must rise: " + events);
      previous = e.getLong("seq");
    }
    JsonObject last = events.getLast();
    assertEquals("end", last.getString("event"));
    assertEquals("completed", last.getString("status"));
    assertEquals(100, last.getInteger("progress"));
    assertTrue(events.stream().anyMatch(e -> "progress".equals(e.getString("event"))
        && e.getInteger("stage_progress") == 50), events.toString());
    assertTrue(events.stream().anyMatch(e -> "processing".equals(e.getString("status"))), events.toString());
    assertEquals(1, events.stream().filter(e -> "end".equals(e.getString("event"))).count());
    JsonObject shown = last.copy();
    shown.remove("event");
    shown.remove("seq");
    assertEquals(finalView, shown, "an event is the job as GET /jobs/{id} shows it");
  }

  @Test
  void theWebSocketDeliversEveryEventUpToCompleted() {
    startMultiUser();
    String alice = token("alice");
    long id = submit(alice);
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    Promise<Short> closed = Promise.promise();
    await(webSocket("/jobs/" + id + "/events", bearer(alice), got, closed));
    until("the current state", WAIT, () -> !got.isEmpty());
    assertEquals(id, got.getFirst().getLong("id"));
    gate.complete();
    assertEquals((short) 1000, await(closed.future()));
    assertFullSequence(id, got, view(id, alice));
    until("the subscriber to be let go", WAIT, () -> subscribers() == 0);
  }

  @Test
  void sseDeliversEveryEventUpToCompletedWithItsSeqAsTheId() {
    startMultiUser();
    String alice = token("alice");
    long id = submit(alice);
    SseReader reader = sse("/jobs/" + id + "/events", bearer(alice));
    assertEquals(200, reader.status());
    assertTrue(reader.header("Content-Type").startsWith("text/event-stream"), reader.header("Content-Type"));
    until("the current state", WAIT, () -> !reader.events.isEmpty());
    gate.complete();
    await(reader.ended());
    assertFullSequence(id, reader.data(), view(id, alice));
    reader.events.forEach(e -> assertEquals(String.valueOf(e.data().getLong("seq")), e.id()));
    until("the subscriber to be let go", WAIT, () -> subscribers() == 0);
  }

  @Test
  void anSseResumeWithLastEventIdReplaysExactlyWhatWasMissed() {
    startMultiUser();
    String alice = token("alice");
    long id = submit(alice);
    SseReader first = sse("/jobs/" + id + "/events", bearer(alice));
    until("a first event", WAIT, () -> !first.events.isEmpty());
    String lastSeen = first.events.getLast().id();
    first.drop();
    gate.complete();
    until("the job to complete", WAIT, () -> "completed".equals(view(id, alice).getString("status")));

    SseReader resumed = sse("/jobs/" + id + "/events", Map.of("Authorization", "Bearer " + alice,
        "Last-Event-ID", lastSeen));
    await(resumed.ended());
    SseReader everything = sse("/jobs/" + id + "/events", Map.of("Authorization", "Bearer " + alice,
        "Last-Event-ID", "0"));
    await(everything.ended());
    List<JsonObject> missed = everything.data().stream()
        .filter(e -> e.getLong("seq") > Long.parseLong(lastSeen)).toList();
    assertFalse(missed.isEmpty());
    assertEquals(missed, resumed.data(), "the resumed stream is exactly what the first one missed");
    assertEquals("end", resumed.data().getLast().getString("event"));
    assertFullSequence(id, everything.data(), view(id, alice));

    // Reconnecting after the end (as EventSource does when a stream closes) is told to stop: 204.
    SseReader after = sse("/jobs/" + id + "/events", Map.of("Authorization", "Bearer " + alice,
        "Last-Event-ID", resumed.events.getLast().id()));
    assertEquals(204, after.status());
  }

  @Test
  void anotherOwnerIsRefusedAndAnAdminMaySubscribe() {
    startMultiUser();
    long id = submit(token("alice"));
    SseReader bob = sse("/jobs/" + id + "/events", bearer(token("bob")));
    assertEquals(404, bob.status());
    assertEquals("application/problem+json", bob.header("Content-Type"));
    Throwable refused = awaitFailure(webSocket("/jobs/" + id + "/events", bearer(token("bob")),
        new CopyOnWriteArrayList<>(), Promise.promise()));
    assertEquals(404, assertInstanceOf(UpgradeRejectedException.class, refused).getStatus());

    SseReader admin = sse("/jobs/" + id + "/events", bearer(token("root", "admin")));
    assertEquals(200, admin.status());
    until("the admin's first event", WAIT, () -> !admin.events.isEmpty());
    admin.drop();
  }

  @Test
  void badRequestsAreProblems() {
    startMultiUser();
    String alice = token("alice");
    long id = submit(alice);
    assertEquals(400, sse("/jobs/" + id + "/events", Map.of("Authorization", "Bearer " + alice,
        "Last-Event-ID", "yesterday")).status());
    assertEquals(400, sse("/jobs/abc/events", bearer(alice)).status());
    assertEquals(404, sse("/jobs/" + (id + 1000) + "/events", bearer(alice)).status());
    assertEquals(401, sse("/jobs/" + id + "/events", Map.of()).status());
    assertEquals(403, sse("/jobs/events?owner_user_id=bob", bearer(alice)).status());
  }

  @Test
  void aTokenQueryParameterIsAcceptedAndAWrongOneRefused() {
    startMultiUser();
    String alice = token("alice");
    long id = submit(alice);
    SseReader ok = sse("/jobs/" + id + "/events?token=" + alice, Map.of());
    assertEquals(200, ok.status());
    until("an event", WAIT, () -> !ok.events.isEmpty());
    ok.drop();
    List<JsonObject> got = new CopyOnWriteArrayList<>();
    WebSocket ws = await(webSocket("/jobs/" + id + "/events?token=" + alice, Map.of(), got, Promise.promise()));
    until("a WebSocket event", WAIT, () -> !got.isEmpty());
    await(ws.close());

    assertEquals(401, sse("/jobs/" + id + "/events?token=not-a-jwt", Map.of()).status());
    Throwable refused = awaitFailure(webSocket("/jobs/" + id + "/events?token=not-a-jwt", Map.of(),
        new CopyOnWriteArrayList<>(), Promise.promise()));
    assertEquals(401, assertInstanceOf(UpgradeRejectedException.class, refused).getStatus());
    // The other routes take it too: the auth handler is shared.
    assertEquals(200, await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id + "?token=" + alice)
        .send()).statusCode());
  }

  @Test
  void anApiKeyInTheTokenQueryParameterIsAccepted() {
    start(new JsonObject().put("key", KEY));
    assertEquals(200, await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs?token=" + KEY).send())
        .statusCode());
    assertEquals(401, await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs?token=wrong-key").send())
        .statusCode());
    SseReader all = sse("/jobs/events?token=" + KEY, Map.of());
    assertEquals(200, all.status());
    all.drop();
  }

  @Test
  void theAllJobsStreamShowsTheCallersJobsAndAnAdminEveryonesOrOneOwners() {
    startMultiUser();
    String alice = token("alice");
    String admin = token("root", "admin");
    SseReader mine = sse("/jobs/events", bearer(alice));
    SseReader everyone = sse("/jobs/events", bearer(admin));
    SseReader bobs = sse("/jobs/events?owner_user_id=bob", bearer(admin));
    assertEquals(200, mine.status());
    until("three subscribers", WAIT, () -> subscribers() == 3);
    long a = submit(alice);
    long b = submit(token("bob"));
    gate.complete();
    until("alice's job to end on her stream", WAIT, () -> ended(mine, a));
    until("both jobs to end on the admin's stream", WAIT, () -> ended(everyone, a) && ended(everyone, b));
    until("bob's job to end on the filtered stream", WAIT, () -> ended(bobs, b));
    assertTrue(mine.data().stream().allMatch(e -> e.getLong("id") == a), mine.data().toString());
    assertTrue(bobs.data().stream().allMatch(e -> e.getLong("id") == b), bobs.data().toString());
    assertEquals(mine.data().size(), everyone.data().stream().filter(e -> e.getLong("id") == a).count());

    // Resuming the all-jobs stream replays the caller's events after the id, from the log.
    String firstId = mine.events.getFirst().id();
    SseReader resumed = sse("/jobs/events", Map.of("Authorization", "Bearer " + alice, "Last-Event-ID", firstId));
    until("the replay", WAIT, () -> ended(resumed, a));
    assertEquals(mine.data().subList(1, mine.data().size()), resumed.data());
    List.of(mine, everyone, bobs, resumed).forEach(SseReader::drop);
    until("every subscriber to be let go", WAIT, () -> subscribers() == 0);
  }

  private static boolean ended(SseReader reader, long id) {
    return reader.data().stream().anyMatch(e -> e.getLong("id") == id && "end".equals(e.getString("event")));
  }

  @Test
  void anSseStreamOutlivesTheConnectionGuardsIdleAndHeaderTimeouts() {
    startMultiUser(new JsonObject().put("http", new JsonObject().put("idle_timeout_seconds", 1)
        .put("header_timeout_seconds", 1)));
    String alice = token("alice");
    long id = submit(alice);
    SseReader reader = sse("/jobs/" + id + "/events", bearer(alice));
    // Keep-alives every second: four of them take longer than both timeouts, and the stream is still open.
    until("four keep-alives", WAIT, () -> reader.comments() >= 5);
    assertFalse(reader.ended().isComplete(), "the guard closed a live event stream");
    gate.complete();
    await(reader.ended());
    assertEquals("end", reader.data().getLast().getString("event"));
  }

  @Test
  void subscribersAreLetGoWhenTheirClientsDropAndKeepAlivesFlowMeanwhile() {
    startMultiUser();
    assertEquals(0.0, subscribers(), "registered at start-up, at 0");
    String alice = token("alice");
    long id = submit(alice);
    SseReader reader = sse("/jobs/" + id + "/events", bearer(alice));
    WebSocketClient other = vertx.createWebSocketClient();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort())
        .setURI("/api/v1/audio/jobs/" + id + "/events").addHeader("Authorization", "Bearer " + alice);
    await(other.connect(options));
    until("two subscribers", WAIT, () -> subscribers() == 2);
    until("a keep-alive comment", WAIT, () -> reader.comments() >= 2); // the stream's opening one, then keep-alives
    reader.drop();
    await(other.close()); // the client goes, and its connections with it
    until("both subscribers to be let go", WAIT, () -> subscribers() == 0);
    String scraped = await(client.get(node.httpPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
    assertTrue(scraped.contains("job_event_subscribers 0.0"), scraped);
  }
}
