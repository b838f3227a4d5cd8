package earshot;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.S3ArtifactStore;
import earshot.audio.TestAudio;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.S3Server;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every input kind through the whole product with {@code EARSHOT_ARTIFACT_STORE=s3} against a real S3 server
 * (S3Proxy): an upload, a URL, a local path and a presigned upload sent with a real HTTP PUT, then submitted by its
 * {@code object_key}. Each job completes, its result files are objects in the bucket, and nothing of it is left
 * under {@code jobs/<uuid>/} in the bucket or in the node's local {@code work/}.
 */
class ArtifactsOnS3EndToEndTest {
  static final String KEY = "s3-e2e-key-0123456789";
  static final Duration WAIT = Deadlines.loaded(Duration.ofSeconds(12));
  static final long MAX_UPLOAD = 1_000_000;

  @TempDir
  static Path dir;

  static S3Server s3;
  static ArtifactStore bucket;
  static Vertx vertx;
  static WebClient client;
  static WhisperFfmEngine engine;
  static EarshotNode node;
  static Path audioRoot;
  static Path dataDir;
  static Path wav;
  static int filesPort;

  @BeforeAll
  static void start() throws Exception {
    s3 = S3Server.start(Files.createDirectories(dir.resolve("s3")));
    vertx = Vertx.vertx();
    client = WebClient.create(vertx);
    audioRoot = Files.createDirectories(dir.resolve("audio"));
    dataDir = dir.resolve("data");
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    wav = TestAudio.writeWav(audioRoot.resolve("source.wav"), 3, 16000, 1);
    HttpServer files = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/talk.wav")) {
        req.response().sendFile(wav.toString());
      } else {
        req.response().setStatusCode(404).end();
      }
    });
    filesPort = await(files.listen(0, "127.0.0.1")).actualPort();
    EarshotConfig config = ConfigLoader.fromOverrides(new JsonObject()
        .put("data_dir", dataDir.toString())
        .put("roles", List.of("api", "scheduler", "cpu", "gpu"))
        .put("store", new JsonObject().put("url", Databases.sqliteUrl(dir)))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100).put("retry_backoff_ms", 100).put("max_retries", 1))
        .put("api", new JsonObject().put("key", KEY).put("max_upload_bytes", MAX_UPLOAD))
        .put("audio", new JsonObject()
            .put("models_dir", models.toString())
            .put("default_model", "base")
            .put("allowed_roots", List.of(audioRoot.toString()))
            .put("whisper", new JsonObject().put("window_seconds", 30).put("threads", 1).put("best_of", 1)
                .put("temperature_inc", 0.4))
            .put("download", new JsonObject().put("allow_private", List.of("127.0.0.1/32"))))
        .mergeIn(s3.overrides(), true));
    engine = new WhisperFfmEngine(config.audio().whisper().maxStates(), null);
    bucket = new S3ArtifactStore(config.artifacts().s3());
    node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, null,
        AudioPipeline.stages(config, bucket, engine, Clock.systemUTC()), Clock.systemUTC(), bucket);
    await(node.start());
  }

  @AfterAll
  static void stop() {
    await(node.stop());
    await(vertx.close());
    engine.close();
    bucket.close();
    s3.close();
  }

  static JsonObject accepted(HttpResponse<Buffer> r) {
    assertEquals(202, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static HttpResponse<Buffer> submit(JsonObject body) {
    return await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/submit")
        .putHeader("X-API-KEY", KEY).sendJsonObject(body));
  }

  static JsonObject finished(long id) {
    return until("job " + id + " to finish", WAIT, () -> await(client.get(node.httpPort(), "127.0.0.1",
            "/api/v1/audio/jobs/" + id).putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject(),
        j -> List.of("completed", "failed", "cancelled").contains(j.getString("status")));
  }

  /** Completed, with its results in the bucket and nothing else of it left anywhere. */
  static void assertCompletedAndClean(JsonObject created) throws Exception {
    JsonObject done = finished(created.getLong("id"));
    assertEquals("completed", done.getString("status"), done.encode());
    String uuid = created.getString("uuid");
    List<String> results = bucket.list(ArtifactKeys.resultsPrefix(uuid)).stream()
        .map(ArtifactStore.StoredObject::key).sorted().toList();
    assertEquals(Stream.of("result.json", "transcript.srt", "transcript.txt", "transcript.vtt")
        .map(f -> "results/" + uuid + "/" + f).toList(), results);
    until("the job's objects to go", WAIT, () -> list(ArtifactKeys.jobPrefix(uuid)).isEmpty());
    assertFalse(Files.exists(dataDir.resolve("work").resolve(uuid)), "no local scratch is left");
    assertFalse(Files.exists(dataDir.resolve("jobs")), "the s3 store keeps nothing under data_dir/jobs");
    assertFalse(Files.exists(dataDir.resolve("results")), "nor under data_dir/results");
  }

  static List<ArtifactStore.StoredObject> list(String prefix) {
    try {
      return bucket.list(prefix);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void anUploadCompletes() throws Exception {
    MultipartForm form = MultipartForm.create().binaryFileUpload("file", "talk.wav", wav.toString(), "audio/wav");
    JsonObject created = accepted(await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
        .putHeader("X-API-KEY", KEY).sendMultipartForm(form)));
    assertCompletedAndClean(created);
  }

  @Test
  void aUrlCompletes() throws Exception {
    assertCompletedAndClean(accepted(submit(new JsonObject().put("url", "http://127.0.0.1:" + filesPort + "/talk.wav"))));
  }

  @Test
  void aLocalPathCompletes() throws Exception {
    assertCompletedAndClean(accepted(submit(new JsonObject().put("local_path", wav.toString()))));
  }

  @Test
  void aPresignedUploadPutStraightIntoTheBucketCompletes() throws Exception {
    HttpResponse<Buffer> issued = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/uploads")
        .putHeader("X-API-KEY", KEY).sendJsonObject(new JsonObject().put("file_name", "talk.wav")));
    assertEquals(201, issued.statusCode(), issued.bodyAsString());
    JsonObject body = issued.bodyAsJsonObject();
    String objectKey = body.getString("object_key");
    assertTrue(objectKey.startsWith(ArtifactKeys.ownerPrefix("1")) && objectKey.endsWith(".wav"), objectKey);
    assertTrue(body.getString("upload_url").startsWith(s3.endpoint() + "/"), body.encode());
    assertTrue(java.time.Instant.parse(body.getString("expires_at")).isAfter(java.time.Instant.now()));

    var put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(body.getString("upload_url")))
        .PUT(HttpRequest.BodyPublishers.ofFile(wav)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());

    JsonObject created = accepted(submit(new JsonObject().put("object_key", objectKey)));
    assertEquals("audio_convert", created.getString("job_type"));
    assertFalse(bucket.exists(objectKey), "the object moved to the job's own key");
    assertCompletedAndClean(created);

    HttpResponse<Buffer> again = submit(new JsonObject().put("object_key", objectKey));
    assertEquals(404, again.statusCode(), "a key serves one job: " + again.bodyAsString());
  }

  @Test
  void aPresignedObjectOverTheUploadLimitIsRefusedAndDeleted() throws Exception {
    JsonObject body = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/uploads")
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
    var put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(body.getString("upload_url")))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[(int) MAX_UPLOAD + 1])).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), "a presigned PUT to S3 cannot be held to a size");
    HttpResponse<Buffer> r = submit(new JsonObject().put("object_key", body.getString("object_key")));
    assertEquals(413, r.statusCode(), r.bodyAsString());
    assertFalse(bucket.exists(body.getString("object_key")), "the oversized object is not kept");
  }

  @Test
  void aPresignedObjectThatIsNotAudioIsRefusedAndKept() throws Exception {
    JsonObject body = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/uploads")
        .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject();
    var put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(body.getString("upload_url")))
        .PUT(HttpRequest.BodyPublishers.ofString("this is not audio at all ".repeat(20))).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode());
    HttpResponse<Buffer> r = submit(new JsonObject().put("object_key", body.getString("object_key")));
    assertEquals(415, r.statusCode(), r.bodyAsString());
    assertEquals("application/problem+json", r.getHeader("Content-Type"));
    try (var local = Files.list(dataDir.resolve("uploads"))) {
      assertEquals(List.of(), local.toList(), "the copy fetched to sniff is gone");
    }
  }
}
