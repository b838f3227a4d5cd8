package earshot.api;

import static earshot.api.OpenAiSdkClient.assertError;
import static earshot.api.OpenAiSdkClient.form;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.StandInStages;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible endpoints with stand-in stages, driven the way the official SDKs drive them
 * ({@link OpenAiSdkClient}): response shapes are checked field by field against the OpenAI audio API reference, and
 * every error must carry OpenAI's {@code {"error": {...}}}, the only thing the SDKs read. A job whose prompt is
 * {@code "hold"} waits in its transcribe stage until the test releases it, so the keep-alive is tested without
 * depending on how long anything takes.
 */
class OpenAiApiTest {
  static final String RELEASE = "test.openai.release";
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  EarshotNode node;
  OpenAiSdkClient sdk;
  Path wav;

  void start(boolean runners, JsonObject api) throws Exception {
    Path models = Files.createDirectories(tempDir.resolve("models"));
    Files.writeString(models.resolve("ggml-base.bin"), "listing only");
    Files.writeString(models.resolve("ggml-small.en.bin"), "listing only");
    Files.writeString(models.resolve("notes.txt"), "not a model");
    wav = Files.write(tempDir.resolve("speech.wav"), JobsApiTest.wav(16000));
    node = this.api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("worker_enabled", runners).put("poll_interval_ms", 100))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base"))
        .put("api", new JsonObject().put("key", JobsApiTest.KEY).put("openai_keepalive_seconds", 1).mergeIn(api))), stages());
    sdk = new OpenAiSdkClient(node.httpPort(), JobsApiTest.KEY);
  }

  void start(boolean runners) throws Exception {
    start(runners, new JsonObject());
  }

  /**
   * JobsApiTest's stand-ins, except for the transcribe stage of a job prompted "fail", which fails, and of one
   * prompted "hold", which waits for the test to release it with "complete" or "fail".
   */
  static StageRegistry stages() {
    StageRegistry plain = JobsApiTest.stages();
    return StandInStages.everyStage((stage, ctx) -> {
      String prompt = ctx.payload().getString(PayloadKeys.PROMPT, "");
      if (stage == JobStage.AUDIO_TRANSCRIBE && prompt.equals("fail")) {
        return Future.failedFuture(new PermanentStageException("the decoder gave up"));
      }
      if (stage != JobStage.AUDIO_TRANSCRIBE || !prompt.equals("hold")) {
        return plain.handler(stage).orElseThrow().execute(ctx);
      }
      Promise<String> released = Promise.promise();
      MessageConsumer<String> consumer = ctx.vertx().eventBus().consumer(RELEASE, m -> {
        m.reply("released");
        released.tryComplete(m.body());
      });
      return released.future().andThen(ar -> consumer.unregister()).compose(how -> how.equals("fail")
          ? Future.failedFuture(new PermanentStageException("the decoder gave up"))
          : plain.handler(stage).orElseThrow().execute(ctx));
    });
  }

  /** Releases the held job, asking until its stage is there to hear it. */
  void release(String how) {
    until("the held job is released", WAIT, () -> {
      try {
        await(vertx.eventBus().request(RELEASE, how));
        return true;
      } catch (RuntimeException notYet) {
        return false;
      }
    });
  }

  java.net.http.HttpResponse<String> transcribe(String format, String... extra) throws Exception {
    OpenAiSdkClient.Form form = form(wav, "whisper-1");
    if (format != null) {
      form.field("response_format", format);
    }
    for (int i = 0; i + 1 < extra.length; i += 2) {
      form.field(extra[i], extra[i + 1]);
    }
    return sdk.post("/v1/audio/transcriptions", form);
  }

  JsonObject onlyJob() {
    return await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs").putHeader("X-API-KEY", JobsApiTest.KEY)
        .send()).bodyAsJsonObject().getJsonArray("jobs").getJsonObject(0);
  }

  @Test
  void everyResponseFormatHasOpenAisShape() throws Exception {
    start(true);
    var json = transcribe(null);
    assertEquals(200, json.statusCode(), json.body());
    assertEquals("application/json", json.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(Set.of("text"), new JsonObject(json.body()).fieldNames());
    assertEquals("Hello there", new JsonObject(json.body()).getString("text"));

    var text = transcribe("text");
    assertTrue(text.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
    assertEquals("Hello there\n", text.body());
    assertEquals("1\n00:00:00,000 --> 00:00:01,250\nHello\n\n2\n00:00:01,250 --> 00:00:03,000\nthere\n\n",
        transcribe("srt").body());
    assertEquals("WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello\n\n00:00:01.250 --> 00:00:03.000\nthere\n\n",
        transcribe("vtt").body());

    JsonObject verbose = new JsonObject(transcribe("verbose_json").body());
    assertEquals(Set.of("task", "language", "duration", "text", "segments"), verbose.fieldNames());
    assertEquals("transcribe", verbose.getString("task"));
    assertEquals("english", verbose.getString("language"), "verbose_json names the language, as OpenAI does");
    assertEquals(3.0, verbose.getDouble("duration"));
    JsonObject segment = verbose.getJsonArray("segments").getJsonObject(0);
    assertEquals(Set.of("id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
        "compression_ratio", "no_speech_prob"), segment.fieldNames());
    assertTrue(segment.getValue("tokens") instanceof JsonArray);
    assertTrue(segment.getValue("id") instanceof Integer);
    // These stand-ins give no token data: null, never a made-up 0.0; the compression ratio comes from the text.
    assertNull(segment.getValue("avg_logprob"), segment.encode());
    assertNull(segment.getValue("no_speech_prob"), segment.encode());
    assertTrue(segment.getDouble("compression_ratio") > 0, segment.encode());
  }

  @Test
  void translationsRunAsTranslateJobs() throws Exception {
    start(true);
    var r = sdk.post("/v1/audio/translations", form(wav, "whisper-1").field("prompt", "a greeting"));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(100, onlyJob().getInteger("priority"), "runs as a high-priority job");
  }

  @Test
  void everyErrorHasOpenAisShapeAndTheNativeRoutesKeepProblems() throws Exception {
    start(false, new JsonObject().put("max_upload_bytes", 40_000));
    assertError(transcribe("xml"), 400, "invalid_request_error", "response_format", "invalid_value");
    assertError(transcribe("json", "temperature", "7"), 400, "invalid_request_error", "temperature", "invalid_value");
    JsonObject language = assertError(transcribe("json", "language", "xx"), 400, "invalid_request_error", "language",
        "invalid_value");
    assertTrue(language.getString("message").contains("'xx'"), language.encode());
    JsonObject model = assertError(sdk.post("/v1/audio/transcriptions", form(wav, "gpt-4o")), 422,
        "invalid_request_error", "model", "model_not_found");
    assertTrue(model.getString("message").contains("gpt-4o"), model.encode());
    Path text = Files.writeString(tempDir.resolve("x.wav"), "definitely not a wav file");
    assertError(sdk.post("/v1/audio/transcriptions", form(text, "whisper-1")), 415, "invalid_request_error", "file",
        "unsupported_media_type");
    Path big = Files.write(tempDir.resolve("big.wav"), JobsApiTest.wav(16000 * 3));
    assertError(sdk.post("/v1/audio/transcriptions", form(big, "whisper-1")), 413, "invalid_request_error", "file",
        "payload_too_large");
    Path huge = Files.write(tempDir.resolve("huge.wav"), JobsApiTest.wav(16000 * 10));
    assertError(sdk.post("/v1/audio/transcriptions", form(huge, "whisper-1")), 413, "invalid_request_error", null,
        "payload_too_large"); // past the body limit: the body handler stops reading
    assertError(sdk.post("/v1/audio/transcriptions", form(wav, "whisper-1").key("wrong")), 401,
        "authentication_error", null, "invalid_api_key");
    assertError(sdk.post("/v1/audio/transcriptions", form(wav, "whisper-1").key(null)), 401, "authentication_error",
        null, "invalid_api_key");
    JsonObject unknown = assertError(sdk.get("/v1/audio/speech"), 404, "invalid_request_error", null, "not_found");
    assertTrue(unknown.getString("message").contains("/v1/audio/speech"), unknown.encode());
    assertError(sdk.get("/v1/audio/transcriptions"), 405, "invalid_request_error", null, "method_not_allowed");

    // The native routes answer the same mistakes as RFC 9457 problems.
    JobsApiTest.assertProblem(await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/nothing")
        .putHeader("X-API-KEY", JobsApiTest.KEY).send()), 404, null);
    JobsApiTest.assertProblem(await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
        .putHeader("X-API-KEY", JobsApiTest.KEY)
        .sendJsonObject(new JsonObject().put("url", "https://a/b").put("language", "xx"))), 400, "language");
  }

  @Test
  void theRateLimitIsA429WithRetryAfterInOpenAisShape() throws Exception {
    start(false, new JsonObject().put("rate_limit", new JsonObject().put("requests_per_second", 0.01).put("burst", 1)));
    assertEquals(200, sdk.get("/v1/models").statusCode());
    var limited = sdk.get("/v1/models");
    assertError(limited, 429, "rate_limit_error", null, "rate_limit_exceeded");
    assertTrue(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow()) > 0);
  }

  @Test
  void aSchedulerThatCannotBeReachedIsAServerError() throws Exception {
    Path models = Files.createDirectories(tempDir.resolve("models"));
    wav = Files.write(tempDir.resolve("speech.wav"), JobsApiTest.wav(16000));
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api"))
        .put("audio", new JsonObject().put("models_dir", models.toString()))
        .put("api", new JsonObject().put("key", JobsApiTest.KEY))), stages());
    sdk = new OpenAiSdkClient(node.httpPort(), JobsApiTest.KEY);
    assertError(transcribe("json"), 503, "server_error", null, "unavailable");
  }

  @Test
  void withoutPreferTheRequestWaitsKeepingTheConnectionAliveThenAnswersTheText() throws Exception {
    start(true);
    var waiting = sdk.open("/v1/audio/transcriptions", form(wav, "whisper-1").field("prompt", "hold"));
    assertEquals(200, waiting.statusCode(), "the status goes out with the first keep-alive byte");
    assertEquals("application/json", waiting.headers().firstValue("Content-Type").orElseThrow());
    InputStream body = waiting.body();
    OpenAiSdkClient.readKeepAlive(body, 2);
    release("complete");
    String text = OpenAiSdkClient.readAll(body);
    assertEquals("Hello there", new JsonObject(text).getString("text"), "JSON parsers skip the keep-alive: " + text);
  }

  @Test
  void aJobThatFailsAfterTheHeadersEndsTheBodyWithOpenAisError() throws Exception {
    start(true);
    var waiting = sdk.open("/v1/audio/transcriptions", form(wav, "whisper-1").field("prompt", "hold")
        .field("response_format", "srt"));
    assertEquals(200, waiting.statusCode());
    assertTrue(waiting.headers().firstValue("Content-Type").orElseThrow().startsWith("application/x-subrip"));
    InputStream body = waiting.body();
    OpenAiSdkClient.readKeepAlive(body, 1);
    release("fail");
    JsonObject error = new JsonObject(OpenAiSdkClient.readAll(body).strip()).getJsonObject("error");
    assertEquals("invalid_request_error", error.getString("type"), error.encode());
    assertEquals("transcription_failed", error.getString("code"));
    assertTrue(error.getString("message").contains("the decoder gave up"), error.encode());
  }

  @Test
  void aJobThatEndsWithinTheFirstIntervalKeepsItsOwnStatus() throws Exception {
    start(true, new JsonObject().put("openai_keepalive_seconds", 60));
    var failed = transcribe("json", "prompt", "fail");
    JsonObject error = assertError(failed, 422, "invalid_request_error", null, "transcription_failed");
    assertTrue(error.getString("message").contains("the decoder gave up"), error.encode());
    assertTrue(failed.headers().firstValue("Transfer-Encoding").isEmpty(), "a plain answer, not kept alive");
  }

  @Test
  void aClientThatDisconnectsCancelsItsJobButPreferAsyncAnswers202AtOnce() throws Exception {
    start(false);
    var prefer = sdk.post("/v1/audio/transcriptions", form(wav, "whisper-1").header("Prefer", "respond-async"));
    assertEquals(202, prefer.statusCode(), prefer.body());
    long asyncId = new JsonObject(prefer.body()).getLong("id");
    assertEquals("/api/v1/audio/jobs/" + asyncId, prefer.headers().firstValue("Location").orElseThrow());
    assertEquals("queued", new JsonObject(prefer.body()).getString("status"));

    // No runner, so this job never ends: the request waits, 200 and keep-alive bytes, never a 202.
    var waiting = sdk.open("/v1/audio/transcriptions", form(wav, "whisper-1"));
    assertEquals(200, waiting.statusCode());
    OpenAiSdkClient.readKeepAlive(waiting.body(), 2);
    long waitedId = onlyJob().getLong("id");
    assertTrue(waitedId != asyncId);
    waiting.body().close();
    until("the abandoned job is cancelled", WAIT, () -> "cancelled".equals(job(waitedId).getString("status")));
    assertEquals("queued", job(asyncId).getString("status"), "an async job outlives its request");
  }

  JsonObject job(long id) {
    HttpResponse<Buffer> r = await(client.get(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id)
        .putHeader("X-API-KEY", JobsApiTest.KEY).send());
    return r.bodyAsJsonObject();
  }

  @Test
  void modelsListsWhatIsInstalled() throws Exception {
    start(false);
    var r = sdk.get("/v1/models");
    JsonObject list = new JsonObject(r.body());
    assertEquals("list", list.getString("object"));
    List<String> ids = list.getJsonArray("data").stream().map(o -> ((JsonObject) o).getString("id")).toList();
    assertEquals(List.of("whisper-1", "base", "small.en"), ids);
    assertEquals("model", list.getJsonArray("data").getJsonObject(0).getString("object"));
  }
}
