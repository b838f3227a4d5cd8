package earshot.api;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.UploadSigner;
import earshot.audio.TestAudio;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Presigned uploads with the directory store: the URL is a signed PUT on the API itself, which needs no API key,
 * streams the body into the store and is held to the upload limit; then the job is submitted by its object_key.
 * Every refusal is a problem document and leaves no file behind.
 */
class UploadsApiTest {
  static final String KEY = "uploads-key-0123456789";
  static final String SECRET = "uploads-secret-0123456789";
  static final long MAX_UPLOAD = 200_000;

  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final WebClient client = api.client();
  Path dataDir;
  Path wav;

  @BeforeEach
  void start() throws Exception {
    dataDir = tempDir.resolve("data");
    wav = TestAudio.writeWav(tempDir.resolve("talk.wav"), 2, 16000, 1);
    api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("key", KEY).put("max_upload_bytes", MAX_UPLOAD))
        .put("artifacts", new JsonObject().put("upload_secret", SECRET))
        // One queued job per owner (no runners here), so that a second submission meets a refusal.
        .put("quota", new JsonObject().put("tiers", new JsonObject().put("standard",
            new JsonObject().put("max_queued_jobs", 1))))), earshot.runner.StageRegistry.of());
  }

  JsonObject issue(JsonObject body) {
    HttpResponse<Buffer> r = await(client.post(api.port(), "127.0.0.1", "/api/v1/audio/uploads")
        .putHeader("X-API-KEY", KEY).sendJsonObject(body));
    assertEquals(201, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  HttpResponse<Buffer> put(String url, Buffer body) {
    URI u = URI.create(url);
    assertEquals(api.port(), u.getPort(), url);
    return await(client.put(api.port(), "127.0.0.1", u.getRawPath() + "?" + u.getRawQuery()).sendBuffer(body));
  }

  HttpResponse<Buffer> submit(JsonObject body) {
    return await(client.post(api.port(), "127.0.0.1", "/api/v1/audio/jobs/submit").putHeader("X-API-KEY", KEY)
        .sendJsonObject(body));
  }

  static void assertProblem(HttpResponse<Buffer> r, int status) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    assertEquals("application/problem+json", r.getHeader("Content-Type"));
    assertEquals(status, r.bodyAsJsonObject().getInteger("status"));
  }

  List<Path> leftovers() throws Exception {
    Path uploads = dataDir.resolve("uploads");
    if (!Files.exists(uploads)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(uploads)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void aSignedPutThenASubmissionByKeyMakesAJobOfTheUpload() throws Exception {
    JsonObject issued = issue(new JsonObject().put("file_name", "talk.wav"));
    String key = issued.getString("object_key");
    assertTrue(key.startsWith(ArtifactKeys.ownerPrefix("1")) && key.endsWith(".wav"), key);
    assertTrue(issued.getString("upload_url").startsWith("http://127.0.0.1:" + api.port()
        + UploadSigner.ROUTE + key + "?expires="), issued.encode());
    assertTrue(Instant.parse(issued.getString("expires_at")).isAfter(Instant.now()));

    HttpResponse<Buffer> put = put(issued.getString("upload_url"), Buffer.buffer(Files.readAllBytes(wav)));
    assertEquals(200, put.statusCode(), put.bodyAsString());
    assertEquals(Files.size(wav), Files.size(dataDir.resolve(key)));

    HttpResponse<Buffer> created = submit(new JsonObject().put("object_key", key));
    assertEquals(202, created.statusCode(), created.bodyAsString());
    String uuid = created.bodyAsJsonObject().getString("uuid");
    assertTrue(Files.isRegularFile(dataDir.resolve("jobs").resolve(uuid).resolve("upload.wav")));
    assertFalse(Files.exists(dataDir.resolve(key)), "the object moved to the job");
    assertEquals(List.of(), leftovers());
    assertProblem(submit(new JsonObject().put("object_key", key)), 404);
  }

  @Test
  void aRefusedSubmissionGivesThePresignedUploadBack() throws Exception {
    List<String> keys = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      JsonObject issued = issue(new JsonObject().put("file_name", "talk.wav"));
      assertEquals(200, put(issued.getString("upload_url"), Buffer.buffer(Files.readAllBytes(wav))).statusCode());
      keys.add(issued.getString("object_key"));
    }
    assertEquals(202, submit(new JsonObject().put("object_key", keys.get(0))).statusCode());
    HttpResponse<Buffer> refused = submit(new JsonObject().put("object_key", keys.get(1)));
    assertProblem(refused, 429);
    earshot.testsupport.Await.until("the upload to be given back", earshot.testsupport.Deadlines.WAIT,
        () -> Files.isRegularFile(dataDir.resolve(keys.get(1))));
    try (Stream<Path> jobs = Files.list(dataDir.resolve("jobs"))) {
      assertEquals(1, jobs.count(), "only the accepted job holds an upload");
    }
  }

  @Test
  void aPutWithABadSignatureOrForAnotherKeyOrTooLateIsRefused() throws Exception {
    String url = issue(new JsonObject()).getString("upload_url");
    Buffer body = Buffer.buffer(Files.readAllBytes(wav));
    assertProblem(put(url.replaceAll("signature=[0-9a-f]{4}", "signature=0000"), body), 403);
    String key = url.substring(url.indexOf(UploadSigner.ROUTE) + UploadSigner.ROUTE.length(), url.indexOf('?'));
    String other = ArtifactKeys.newStagedUpload("1", Instant.now().plusSeconds(600).getEpochSecond(), "x.wav");
    assertProblem(put(url.replace(key, other), body), 403);
    // The router normalizes the dots away, so no upload route matches at all.
    assertProblem(put(url.replace(key, "uploads/../../../etc/passwd"), body), 404);
    assertProblem(put(url.replace(key, "uploads/%2e%2e/x"), body), 403);
    UploadSigner signer = new UploadSigner(SECRET, Clock.systemUTC());
    String late = ArtifactKeys.newStagedUpload("1", Instant.now().minusSeconds(5).getEpochSecond(), "x.wav");
    HttpResponse<Buffer> expired = put("http://127.0.0.1:" + api.port()
        + signer.sign(late, Instant.now().minusSeconds(5)), body);
    assertProblem(expired, 403);
    assertTrue(expired.bodyAsJsonObject().getString("detail").contains("expired"), expired.bodyAsString());
    assertFalse(Files.exists(dataDir.resolve(key)));
    assertFalse(Files.exists(dataDir.resolve(other)));
    assertEquals(List.of(), leftovers());
  }

  @Test
  void aPutOverTheUploadLimitIsRefusedAndLeavesNothing() throws Exception {
    JsonObject issued = issue(new JsonObject());
    Buffer big = Buffer.buffer(new byte[(int) MAX_UPLOAD + 1]);
    assertProblem(put(issued.getString("upload_url"), big), 413);
    assertFalse(Files.exists(dataDir.resolve(issued.getString("object_key"))));
    assertEquals(List.of(), leftovers());
  }

  @Test
  void aSubmissionByKeyIsRefusedForKeysItMayNotUse() throws Exception {
    long later = Instant.now().plusSeconds(600).getEpochSecond();
    HttpResponse<Buffer> others = submit(new JsonObject().put("object_key",
        ArtifactKeys.newStagedUpload("someone-else", later, "a.wav")));
    assertProblem(others, 403);
    assertTrue(others.bodyAsJsonObject().getString("detail").contains("another owner"), others.bodyAsString());
    assertProblem(submit(new JsonObject().put("object_key", ArtifactKeys.newStagedUpload("1", later, "a.wav"))), 404);
    assertProblem(submit(new JsonObject().put("object_key",
        ArtifactKeys.newStagedUpload("1", Instant.now().minusSeconds(60).getEpochSecond(), "a.wav"))), 410);
    for (String bad : List.of("../../etc/passwd", "/etc/passwd", "jobs/0000-1111/upload.wav",
        ArtifactKeys.ownerPrefix("1") + "../x", "uploads/x")) {
      assertProblem(submit(new JsonObject().put("object_key", bad)), 400);
    }
    assertProblem(submit(new JsonObject().put("object_key", ArtifactKeys.newStagedUpload("1", later, "a.wav"))
        .put("url", "http://example.com/a.wav")), 400);
  }

  @Test
  void issuingAnUploadNeedsCredentialsAndAnAudioName() {
    assertProblem(await(client.post(api.port(), "127.0.0.1", "/api/v1/audio/uploads").send()), 401);
    assertProblem(await(client.post(api.port(), "127.0.0.1", "/api/v1/audio/uploads").putHeader("X-API-KEY", KEY)
        .sendJsonObject(new JsonObject().put("file_name", "notes.txt"))), 422);
  }
}
