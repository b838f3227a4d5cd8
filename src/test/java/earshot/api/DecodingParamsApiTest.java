package earshot.api;

import static earshot.api.JobsApiTest.KEY;
import static earshot.api.JobsApiTest.assertProblem;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import earshot.EarshotNode;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.runner.StageRegistry;
import earshot.testsupport.StandInStages;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * whisper.cpp's sampling parameters over real HTTP: the JSON submission, the upload form and the OpenAI form put them
 * into the payload the transcribe stage reads, and every out-of-range value is a 400 naming its field.
 */
class DecodingParamsApiTest {
  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final WebClient client = api.client();
  /** The payload each job's audio_transcribe stage was given, by job id. */
  final Map<Long, JsonObject> transcribed = new ConcurrentHashMap<>();
  EarshotNode node;
  Path wav;

  @BeforeEach
  void start() throws Exception {
    Path models = Files.createDirectories(tempDir.resolve("models"));
    Files.writeString(models.resolve("ggml-base.bin"), "listing only");
    wav = Files.write(tempDir.resolve("speech.wav"), JobsApiTest.wav(16000));
    StageRegistry answers = JobsApiTest.stages();
    StageRegistry stages = StandInStages.everyStage((stage, ctx) -> {
      if (stage == JobStage.AUDIO_TRANSCRIBE) {
        transcribed.put(ctx.job().id(), ctx.payload().copy());
      }
      return answers.handler(stage).orElseThrow().execute(ctx);
    });
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100))
        .put("audio", new JsonObject().put("models_dir", models.toString()).put("default_model", "base"))
        .put("api", new JsonObject().put("key", KEY))), stages);
  }

  HttpResponse<Buffer> submit(JsonObject body) {
    return await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit").putHeader("X-API-KEY", KEY)
        .sendJsonObject(body.put("url", "https://example.org/a.mp3")));
  }

  HttpResponse<Buffer> upload(String... fields) {
    MultipartForm form = MultipartForm.create().binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav");
    for (int i = 0; i + 1 < fields.length; i += 2) {
      form.attribute(fields[i], fields[i + 1]);
    }
    return await(client.request(HttpMethod.POST, node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
        .putHeader("X-API-KEY", KEY).sendMultipartForm(form));
  }

  HttpResponse<Buffer> openAi(String temperature) {
    MultipartForm form = MultipartForm.create().binaryFileUpload("file", "speech.wav", wav.toString(), "audio/wav")
        .attribute("model", "whisper-1").attribute("response_format", "json").attribute("temperature", temperature);
    return await(client.post(node.httpPort(), "127.0.0.1", "/v1/audio/transcriptions")
        .putHeader("Authorization", "Bearer " + KEY).sendMultipartForm(form));
  }

  /** A /v1 refusal in OpenAI's error shape, naming the form field as its param. */
  static void assertOpenAiError(HttpResponse<Buffer> r, String param) {
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertEquals("application/json", r.getHeader("Content-Type"), r.bodyAsString());
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertEquals("invalid_request_error", error.getString("type"), r.bodyAsString());
    assertEquals(param, error.getString("param"), r.bodyAsString());
  }

  JsonObject transcribePayload(HttpResponse<Buffer> accepted) {
    assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
    long id = accepted.bodyAsJsonObject().getLong("id");
    return until("job " + id + " to reach audio_transcribe", Duration.ofSeconds(30), () -> transcribed.get(id),
        p -> p != null);
  }

  @Test
  void aJobsSamplingParametersReachTheTranscribeStage() {
    JsonObject json = transcribePayload(submit(new JsonObject().put("beam_size", 4).put("best_of", 3)
        .put("temperature", 0.3).put("temperature_inc", 0)));
    assertEquals(4, json.getInteger(PayloadKeys.BEAM_SIZE));
    assertEquals(3, json.getInteger(PayloadKeys.BEST_OF));
    assertEquals(0.3, json.getDouble(PayloadKeys.TEMPERATURE));
    assertEquals(0.0, json.getDouble(PayloadKeys.TEMPERATURE_INC));

    JsonObject form = transcribePayload(upload("beam_size", "8", "best_of", "1", "temperature_inc", "0.5"));
    assertEquals(8, form.getInteger(PayloadKeys.BEAM_SIZE));
    assertEquals(1, form.getInteger(PayloadKeys.BEST_OF));
    assertEquals(0.5, form.getDouble(PayloadKeys.TEMPERATURE_INC));
    assertFalse(form.containsKey(PayloadKeys.TEMPERATURE), "unset: the node's default, not a value chosen here");

    JsonObject unset = transcribePayload(submit(new JsonObject()));
    for (String key : List.of(PayloadKeys.BEAM_SIZE, PayloadKeys.BEST_OF, PayloadKeys.TEMPERATURE,
        PayloadKeys.TEMPERATURE_INC)) {
      assertFalse(unset.containsKey(key), key);
    }

    HttpResponse<Buffer> sync = openAi("0.7");
    assertEquals(200, sync.statusCode(), sync.bodyAsString());
    List<JsonObject> openAiJobs = transcribed.values().stream()
        .filter(p -> p.containsKey(PayloadKeys.UPLOAD_KEY) && p.containsKey(PayloadKeys.TEMPERATURE)).toList();
    assertEquals(1, openAiJobs.size(), openAiJobs.toString());
    assertEquals(0.7, openAiJobs.getFirst().getDouble(PayloadKeys.TEMPERATURE));
  }

  @Test
  void outOfRangeSamplingParametersAreProblemsNamingTheField() {
    Map<String, List<Object>> bad = Map.of(
        "beam_size", List.of(0, 9, 2.5, "3"),
        "best_of", List.of(0, 9, -1),
        "temperature", List.of(-0.1, 1.5),
        "temperature_inc", List.of(-0.1, 1.01, "0.2"));
    bad.forEach((field, values) -> values.forEach(v ->
        assertProblem(submit(new JsonObject().put(field, v)), 400, field)));
    assertProblem(upload("beam_size", "many"), 400, "beam_size");
    assertProblem(upload("best_of", "9"), 400, "best_of");
    assertProblem(upload("temperature_inc", "NaN"), 400, "temperature_inc");
    assertProblem(upload("temperature", "NaN"), 400, "temperature");
    assertOpenAiError(openAi("NaN"), "temperature");
    assertOpenAiError(openAi("1.5"), "temperature");
    assertEquals(Map.of(), transcribed, "no refused job ran");
  }
}
