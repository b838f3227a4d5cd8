package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import earshot.EarshotNode;
import earshot.bus.Addresses;
import earshot.bus.Batch;
import earshot.config.EarshotConfig;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Multi-user mode: JWT bearer tokens, owners see only their own jobs, admins see all. */
class JwtApiTest {
  static final String SECRET = "a-test-secret-that-is-long-enough-0123456789";

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  EarshotNode node;

  void start(JsonObject jwt) {
    EarshotConfig config = TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("jwt", jwt)));
    node = api.start(config, JobsApiTest.stages());
  }

  JWTAuth signer(String algorithm, String key) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(key)));
  }

  static String token(JWTAuth signer, String algorithm, String sub, String... roles) {
    return signer.generateToken(new JsonObject().put("sub", sub).put("role", new JsonArray(List.of((Object[]) roles))),
        new JWTOptions().setAlgorithm(algorithm).setExpiresInMinutes(5));
  }

  HttpResponse<Buffer> call(HttpMethod method, String path, String token, JsonObject body) {
    var req = client.request(method, node.httpPort(), "127.0.0.1", "/api/v1/audio" + path);
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return await(body == null ? req.send() : req.sendJsonObject(body));
  }

  @Test
  void ownersSeeOnlyTheirJobsAndAdminsSeeAll() {
    start(new JsonObject().put("algorithm", "HS256").put("secret", SECRET));
    JWTAuth signer = signer("HS256", SECRET);
    String alice = token(signer, "HS256", "alice");
    String bob = token(signer, "HS256", "bob");
    String root = token(signer, "HS256", "root", "admin");

    HttpResponse<Buffer> created = call(HttpMethod.POST, "/jobs/submit", alice,
        new JsonObject().put("url", "https://example.org/a.mp3"));
    assertEquals(202, created.statusCode(), created.bodyAsString());
    long id = created.bodyAsJsonObject().getLong("id");

    assertEquals("alice", call(HttpMethod.GET, "/jobs/" + id, alice, null).bodyAsJsonObject().getString("owner_user_id"));
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/" + id, bob, null), 404, null);
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/" + id + "/result", bob, null), 404, null);
    JobsApiTest.assertProblem(call(HttpMethod.POST, "/jobs/" + id + "/cancel", bob, new JsonObject()), 404, null);
    assertEquals(0, call(HttpMethod.GET, "/jobs", bob, null).bodyAsJsonObject().getJsonArray("jobs").size());
    assertEquals(1, call(HttpMethod.GET, "/jobs", alice, null).bodyAsJsonObject().getJsonArray("jobs").size());

    assertEquals(200, call(HttpMethod.GET, "/jobs/" + id, root, null).statusCode());
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/admin/list", alice, null), 403, null);
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs/admin/summary", alice, null), 403, null);
    assertEquals(1, call(HttpMethod.GET, "/jobs/admin/list?owner_user_id=alice", root, null).bodyAsJsonObject()
        .getJsonArray("jobs").size());
    assertEquals("alice", call(HttpMethod.GET, "/jobs/admin/summary?owner_user_id=alice", root, null)
        .bodyAsJsonObject().getString("owner_user_id"));
  }

  /**
   * Many requests at once from two owners, so that submissions and lookups share bus messages (the API coalesces
   * one event-loop turn's requests): each still gets its own answer, ownership is judged per request, and an
   * Idempotency-Key repeated within one burst creates one job.
   */
  @Test
  void concurrentRequestsOfTwoOwnersEachGetTheirOwnAnswer() {
    start(new JsonObject().put("algorithm", "HS256").put("secret", SECRET));
    JWTAuth signer = signer("HS256", SECRET);
    Map<String, String> tokens = Map.of("alice", token(signer, "HS256", "alice"),
        "bob", token(signer, "HS256", "bob"));
    WebClient burst = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(40));
    // Count what the API sends to the scheduler and the readers: every request must travel in a batch message.
    Map<String, AtomicInteger> items = new ConcurrentHashMap<>();
    vertx.eventBus().addOutboundInterceptor(ctx -> {
      String address = ctx.message().address();
      int n = address.endsWith(".batch") ? Batch.items((JsonObject) ctx.message().body()).size() : 1;
      items.computeIfAbsent(address, k -> new AtomicInteger()).addAndGet(n);
      ctx.next();
    });
    List<String> owners = new ArrayList<>();
    List<Future<HttpResponse<Buffer>>> submits = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String owner = i % 2 == 0 ? "alice" : "bob";
      owners.add(owner);
      var req = burst.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
          .putHeader("Authorization", "Bearer " + tokens.get(owner));
      if (i >= 36) {
        req.putHeader("Idempotency-Key", "same-key"); // two per owner
      }
      submits.add(req.sendJsonObject(new JsonObject().put("url", "https://example.org/" + i + ".mp3")));
    }
    await(Future.join(submits));
    List<Long> ids = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> f : submits) {
      assertEquals(202, f.result().statusCode(), f.result().bodyAsString());
      ids.add(f.result().bodyAsJsonObject().getLong("id"));
    }
    assertEquals(ids.get(36), ids.get(38)); // alice's repeated key
    assertEquals(ids.get(37), ids.get(39)); // bob's
    assertNotEquals(ids.get(36), ids.get(37));
    assertEquals(38, new HashSet<>(ids).size());

    List<Future<HttpResponse<Buffer>>> reads = new ArrayList<>();
    for (long id : ids) {
      reads.add(burst.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id)
          .putHeader("Authorization", "Bearer " + tokens.get("alice")).send());
    }
    Future<HttpResponse<Buffer>> unknown = burst.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/987654")
        .putHeader("Authorization", "Bearer " + tokens.get("alice")).send();
    await(Future.join(reads));
    for (int i = 0; i < ids.size(); i++) {
      HttpResponse<Buffer> r = reads.get(i).result();
      if (owners.get(i).equals("alice")) {
        assertEquals(200, r.statusCode(), r.bodyAsString());
        assertEquals(ids.get(i), r.bodyAsJsonObject().getLong("id"));
        assertEquals("alice", r.bodyAsJsonObject().getString("owner_user_id"));
      } else {
        JobsApiTest.assertProblem(r, 404, null);
      }
    }
    JobsApiTest.assertProblem(await(unknown), 404, null);
    assertEquals(40, items.get(Addresses.JOBS_SUBMIT_BATCH).get());
    assertEquals(41, items.get(Addresses.JOBS_GET_BATCH).get());
    assertNull(items.get(Addresses.JOBS_SUBMIT), "no submission went one by one");
  }

  @Test
  void missingForgedAndExpiredTokensAreRefused() {
    start(new JsonObject().put("algorithm", "HS256").put("secret", SECRET));
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs", null, null), 401, null);
    String forged = token(signer("HS256", "another-secret-that-is-long-enough-987654321"), "HS256", "alice");
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs", forged, null), 401, null);
    String expired = signer("HS256", SECRET).generateToken(
        new JsonObject().put("sub", "alice").put("exp", System.currentTimeMillis() / 1000 - 3600),
        new JWTOptions().setAlgorithm("HS256"));
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs", expired, null), 401, null);
    String noSub = signer("HS256", SECRET).generateToken(new JsonObject().put("role", "admin"),
        new JWTOptions().setAlgorithm("HS256"));
    JobsApiTest.assertProblem(call(HttpMethod.GET, "/jobs", noSub, null), 401, null);
  }

  @Test
  void rs256TokensVerifyAgainstThePublicKey() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair pair = gen.generateKeyPair();
    String publicPem = pem("PUBLIC KEY", pair.getPublic().getEncoded());
    String privatePem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
    start(new JsonObject().put("algorithm", "RS256").put("public_key", publicPem));
    String alice = token(signer("RS256", privatePem), "RS256", "alice");
    assertEquals(200, call(HttpMethod.GET, "/jobs", alice, null).statusCode());
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  @Test
  void aLiveStreamAuthenticatesWithABearerTokenAndIsRefusedWithoutOne() throws Exception {
    start(new JsonObject().put("algorithm", "HS256").put("secret", SECRET));
    String alice = token(signer("HS256", SECRET), "HS256", "alice");
    io.vertx.core.http.WebSocketClient ws = vertx.createWebSocketClient();
    var options = new io.vertx.core.http.WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort())
        .setURI("/api/v1/audio/stream/transcribe");
    Throwable refused = earshot.testsupport.Await.awaitFailure(ws.connect(options));
    org.junit.jupiter.api.Assertions.assertTrue(refused.getMessage().contains("401"), refused.getMessage());
    java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
    // the JWT check is asynchronous: the upgrade must still succeed after it
    var socket = await(ws.connect(options.addHeader("Authorization", "Bearer " + alice))
        .onSuccess(w -> w.textMessageHandler(first::complete)));
    await(socket.writeTextMessage(new JsonObject().put("type", "config").encode()));
    JsonObject ready = new JsonObject(first.get(earshot.testsupport.Deadlines.WAIT.toMillis(),
        java.util.concurrent.TimeUnit.MILLISECONDS));
    assertEquals("ready", ready.getString("type"), ready.encode());
    await(socket.close());
  }
}
