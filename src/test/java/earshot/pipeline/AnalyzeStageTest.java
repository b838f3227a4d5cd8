package earshot.pipeline;

import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.runner.StageOutcome;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.testsupport.Deadlines;
import earshot.transcribe.Transcript;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** audio_analyze against a local server standing in for an OpenAI-compatible provider. */
class AnalyzeStageTest {
  static final String TEXT = "We agreed to ship the release on Friday. Anna writes the notes.";

  /** What the provider received: the Authorization header and the JSON body. */
  record Received(String path, String authorization, String contentType, JsonObject body) {}

  Vertx vertx = Vertx.vertx();
  WorkerExecutor pool = vertx.createSharedWorkerExecutor("analyze-test", 2);
  List<Received> received = new CopyOnWriteArrayList<>();
  int port;

  @BeforeEach
  void startProvider() {
    HttpServer server = await(vertx.createHttpServer().requestHandler(this::serve).listen(0, "127.0.0.1"));
    port = server.actualPort();
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  void serve(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      JsonObject json = body.length() == 0 ? null : body.toJsonObject();
      received.add(new Received(req.path(), req.getHeader("Authorization"), req.getHeader("Content-Type"), json));
      var res = req.response().putHeader("Content-Type", "application/json");
      switch (req.path()) {
        case "/v1/chat/completions" -> {
          if (!"POST".equals(req.method().name()) || json == null || !json.containsKey("model")) {
            res.setStatusCode(400).end(new JsonObject().put("error", "bad request").encode());
            return;
          }
          res.end(new JsonObject().put("id", "x").put("choices", new JsonArray().add(new JsonObject()
              .put("index", 0)
              .put("message", new JsonObject().put("role", "assistant").put("content", "Release on Friday."))))
              .encode());
        }
        case "/fail/chat/completions" -> res.setStatusCode(500).end("{\"error\":\"overloaded\"}");
        case "/limited/chat/completions" -> res.setStatusCode(429).end("{}");
        case "/denied/chat/completions" -> res.setStatusCode(401).end("{\"error\":\"bad key\"}");
        case "/garbage/chat/completions" -> res.end("{\"choices\": []}");
        case "/silent/chat/completions" -> { /* never answers */ }
        default -> res.setStatusCode(404).end();
      }
    });
  }

  EarshotConfig.Provider provider(String name, String prefix, String key) {
    return new EarshotConfig.Provider(name, "http://127.0.0.1:" + port + prefix, "gpt-test", key);
  }

  AnalyzeStage stage(EarshotConfig.Provider... providers) {
    Map<String, EarshotConfig.Provider> map = new LinkedHashMap<>();
    for (EarshotConfig.Provider p : providers) {
      map.put(p.name(), p);
    }
    EarshotConfig.Download download = StageFixtures.download(1, 0, List.of());
    // Every provider here but the silent one answers at once, even on a loaded machine; the silent one is waited out.
    return new AnalyzeStage(StageFixtures.audio(download, map), Deadlines.loaded(Duration.ofMillis(500)));
  }

  Job job(String apiName) {
    JsonObject transcript = new Transcript(TEXT, "en", 4.2, List.of(), "base.en").toJson();
    JsonObject payload = new JsonObject().put(PayloadKeys.TRANSCRIPT, transcript).put("keep", 1);
    if (apiName != null) {
      payload.put(PayloadKeys.API_NAME, apiName);
    }
    return StageFixtures.job(JobStage.AUDIO_ANALYZE, payload);
  }

  Throwable failure(AnalyzeStage stage, Job job) {
    return awaitFailure(StageFixtures.run(vertx, pool, stage, job));
  }

  @Test
  void sendsTheTranscriptAndStoresTheAnswer() {
    AnalyzeStage stage = stage(provider("openai", "/v1", "sk-test"), provider("other", "/fail", null));
    StageOutcome outcome = await(StageFixtures.run(vertx, pool, stage, job("openai")));

    StageOutcome.Completed done = assertInstanceOf(StageOutcome.Completed.class, outcome);
    assertEquals("Release on Friday.", done.payload().getString(PayloadKeys.ANALYSIS));
    assertEquals(1, done.payload().getInteger("keep"));
    assertEquals(1, received.size());
    Received r = received.getFirst();
    assertEquals("/v1/chat/completions", r.path());
    assertEquals("Bearer sk-test", r.authorization());
    assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    assertEquals("gpt-test", r.body().getString("model"));
    JsonArray messages = r.body().getJsonArray("messages");
    assertEquals(2, messages.size());
    assertEquals("system", messages.getJsonObject(0).getString("role"));
    assertFalse(messages.getJsonObject(0).getString("content").isBlank());
    assertEquals("user", messages.getJsonObject(1).getString("role"));
    assertEquals(TEXT, messages.getJsonObject(1).getString("content"));
  }

  @Test
  void usesTheOnlyProviderWhenNoneIsNamedAndSendsNoKeyWhenNoneIsSet() {
    StageOutcome outcome = await(StageFixtures.run(vertx, pool, stage(provider("local", "/v1", null)), job(null)));
    assertEquals("Release on Friday.",
        assertInstanceOf(StageOutcome.Completed.class, outcome).payload().getString(PayloadKeys.ANALYSIS));
    assertNull(received.getFirst().authorization());
  }

  @Test
  void anUnknownOrMissingProviderIsPermanentAndNamesTheConfiguredOnes() {
    AnalyzeStage stage = stage(provider("openai", "/v1", "k"), provider("local", "/v1", null));
    Throwable unknown = failure(stage, job("nope"));
    assertInstanceOf(PermanentStageException.class, unknown);
    assertTrue(unknown.getMessage().contains("nope") && unknown.getMessage().contains("local, openai"),
        unknown.getMessage());
    assertInstanceOf(PermanentStageException.class, failure(stage, job(null)));
    assertInstanceOf(PermanentStageException.class, failure(stage(), job("openai")));
    assertEquals(List.of(), received);
  }

  @Test
  void providerFaultsAreRetryable() {
    AnalyzeStage stage = stage(provider("fail", "/fail", "k"), provider("limited", "/limited", "k"),
        provider("garbage", "/garbage", "k"), provider("silent", "/silent", "k"),
        provider("missing", "/missing", "k"));
    for (String name : List.of("fail", "limited", "garbage", "silent", "missing")) {
      Throwable e = failure(stage, job(name));
      assertInstanceOf(RetryableStageException.class, e, name + ": " + e);
      assertTrue(e.getMessage().contains("'" + name + "'"), e.getMessage());
    }
  }

  @Test
  void rejectedCredentialsArePermanent() {
    Throwable e = failure(stage(provider("denied", "/denied", "wrong")), job("denied"));
    assertInstanceOf(PermanentStageException.class, e);
    assertTrue(e.getMessage().contains("401"), e.getMessage());
  }

  @Test
  void anEmptyTranscriptNeedsNoProvider() {
    JsonObject silence = new Transcript(" ", "en", 3.0, List.of(), "base.en").toJson();
    Job job = StageFixtures.job(JobStage.AUDIO_ANALYZE, new JsonObject().put(PayloadKeys.TRANSCRIPT, silence));
    StageOutcome outcome = await(StageFixtures.run(vertx, pool, stage(provider("openai", "/v1", "k")), job));
    assertEquals("", assertInstanceOf(StageOutcome.Completed.class, outcome).payload().getString(PayloadKeys.ANALYSIS));
    assertEquals(List.of(), received);
  }

  @Test
  void aJobWithoutTranscriptIsPermanent() {
    Job job = StageFixtures.job(JobStage.AUDIO_ANALYZE, new JsonObject().put(PayloadKeys.API_NAME, "openai"));
    assertInstanceOf(PermanentStageException.class, failure(stage(provider("openai", "/v1", "k")), job));
    Job oddName = StageFixtures.job(JobStage.AUDIO_ANALYZE, new JsonObject().put(PayloadKeys.API_NAME, 7));
    assertInstanceOf(PermanentStageException.class, failure(stage(provider("openai", "/v1", "k")), oddName));
    assertEquals(List.of(), received);
  }
}
