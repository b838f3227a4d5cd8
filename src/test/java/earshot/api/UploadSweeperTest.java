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
  void aSweepOfAMissingDirectoryFindsNothing() {
    assertEquals(0, new UploadSweeper(tempDir.resolve("nowhere"), count -> {
      throw new AssertionError("nothing to count");
    }).sweep());
  }
}
