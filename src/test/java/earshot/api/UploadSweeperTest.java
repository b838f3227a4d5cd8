package earshot.api;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.metrics.MicrometerJobMetrics;
import earshot.testsupport.ApiNode;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The orphan sweep of data/uploads: what a crash left there goes at start-up and is counted; a fresh file stays. */
class UploadSweeperTest {
  @TempDir
  Path tempDir;

  @RegisterExtension
  final ApiNode api = new ApiNode();
  final Vertx vertx = api.vertx();
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  EarshotNode node;

  @Test
  void anOldStrayFileGoesAtStartUpAndIsCountedAndAFreshOneStays() throws Exception {
    Path uploads = Files.createDirectories(tempDir.resolve("data").resolve("uploads"));
    Path old = Files.writeString(uploads.resolve("0190a1b2-left-by-a-crash"), "partial upload");
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(UploadSweeper.ORPHAN_AGE).minusSeconds(60)));
    Path fresh = Files.writeString(uploads.resolve("0190a1b2-being-written"), "upload in progress");
    Path dir = Files.createDirectories(uploads.resolve("not-a-file"));
    Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minus(Duration.ofDays(1))));

    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("key", JobsApiTest.KEY))), new MicrometerJobMetrics(registry), registry,
        JobsApiTest.stages(), Clock.systemUTC());

    until("the old stray file is swept", Duration.ofSeconds(30), () -> !Files.exists(old));
    assertTrue(Files.exists(fresh), "a file written within the hour may belong to an upload in progress");
    assertTrue(Files.isDirectory(dir), "only files are swept");
    String metrics = await(WebClient.create(vertx).get(node.httpPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
    assertTrue(metrics.contains("audio_upload_orphans_removed_total 1.0"), metrics);
  }

  @Test
  void presignedUploadsInTheStoreGoAnHourAfterTheirUrlExpired() throws Exception {
    var store = new earshot.artifacts.DirArtifactStore(tempDir.resolve("store"),
        new earshot.artifacts.UploadSigner(null, Clock.systemUTC()), Clock.systemUTC());
    Path bytes = Files.writeString(tempDir.resolve("bytes"), "audio");
    long longAgo = Instant.now().minus(UploadSweeper.ORPHAN_AGE).minusSeconds(60).getEpochSecond();
    String stale = earshot.artifacts.ArtifactKeys.newStagedUpload("1", longAgo, "a.wav");
    String recent = earshot.artifacts.ArtifactKeys.newStagedUpload("1", Instant.now().minusSeconds(60)
        .getEpochSecond(), "b.wav");
    String job = "jobs/0000-1111/upload.wav";
    for (String key : java.util.List.of(stale, recent, job)) {
      store.put(key, bytes);
    }
    java.util.List<Integer> counted = new java.util.ArrayList<>();
    assertEquals(1, new UploadSweeper(tempDir.resolve("nowhere"), counted::add, store).sweep());
    assertEquals(java.util.List.of(1), counted);
    assertTrue(!store.exists(stale));
    assertTrue(store.exists(recent), "its owner may still submit it within the hour");
    assertTrue(store.exists(job), "a job's upload is not a presigned upload");
  }

  @Test
  void objectsOfEndedOrUnknownJobsAreSweptAndThoseOfLiveJobsStay() throws Exception {
    node = api.start(TestConfigs.local(tempDir, new JsonObject()
        .put("api", new JsonObject().put("key", JobsApiTest.KEY))), new MicrometerJobMetrics(registry), registry,
        JobsApiTest.stages(), Clock.systemUTC());
    Path data = tempDir.resolve("data");
    var store = new earshot.artifacts.DirArtifactStore(data, new earshot.artifacts.UploadSigner(null,
        Clock.systemUTC()), Clock.systemUTC());
    WebClient client = WebClient.create(vertx);
    Path wav = Files.write(tempDir.resolve("tone.wav"), JobsApiTest.wav(16000));
    JsonObject[] jobs = new JsonObject[2];
    for (int i = 0; i < 2; i++) {
      var r = await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
          .putHeader("X-API-KEY", JobsApiTest.KEY).sendMultipartForm(io.vertx.ext.web.multipart.MultipartForm.create()
              .binaryFileUpload("file", "tone.wav", wav.toString(), "audio/wav")));
      assertEquals(202, r.statusCode(), r.bodyAsString());
      jobs[i] = r.bodyAsJsonObject();
    }
    String queued = jobs[0].getString("uuid");
    String cancelled = jobs[1].getString("uuid");
    assertEquals(200, await(client.post(node.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/"
        + jobs[1].getLong("id") + "/cancel").putHeader("X-API-KEY", JobsApiTest.KEY).send()).statusCode());
    Path bytes = Files.writeString(tempDir.resolve("bytes"), "pcm");
    store.put("jobs/" + cancelled + "/audio.pcm", bytes);
    store.put("jobs/0190-no-such-job/audio.pcm", bytes);
    store.put("jobs/0190-no-such-job/upload.wav", bytes);
    store.put("jobs/0190-fresh-unknown/audio.pcm", bytes);
    FileTime old = FileTime.from(Instant.now().minus(UploadSweeper.ORPHAN_AGE).minusSeconds(60));
    for (String key : java.util.List.of("jobs/" + queued + "/upload.wav", "jobs/" + cancelled + "/upload.wav",
        "jobs/" + cancelled + "/audio.pcm", "jobs/0190-no-such-job/audio.pcm", "jobs/0190-no-such-job/upload.wav")) {
      Files.setLastModifiedTime(data.resolve(key), old);
    }

    int removed = await(UploadSweeper.sweepJobObjects(vertx, store, Instant.now().minus(UploadSweeper.ORPHAN_AGE)));

    assertEquals(3, removed, "the cancelled job's PCM and both objects of a job that does not exist");
    assertTrue(store.exists("jobs/" + queued + "/upload.wav"), "a queued job keeps its upload");
    assertTrue(store.exists("jobs/" + cancelled + "/upload.wav"), "a cancelled job keeps its upload for a retry");
    assertTrue(!store.exists("jobs/" + cancelled + "/audio.pcm"));
    assertTrue(!store.exists("jobs/0190-no-such-job/upload.wav"));
    assertTrue(store.exists("jobs/0190-fresh-unknown/audio.pcm"), "written within the hour: a submission in flight");
  }

  @Test
  void aSweepOfAMissingDirectoryFindsNothing() {
    assertEquals(0, new UploadSweeper(tempDir.resolve("nowhere"), count -> {
      throw new AssertionError("nothing to count");
    }).sweep());
  }
}
