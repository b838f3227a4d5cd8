package earshot.pipeline;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.ArtifactUnavailableException;
import earshot.artifacts.S3ArtifactStore;
import earshot.audio.TestAudio;
import earshot.config.EarshotConfig;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.runner.StageOutcome;
import earshot.runner.StageRunnerVerticle;
import earshot.testsupport.S3Server;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stages on the s3 store: audio_convert fetches its upload from the bucket and puts its PCM back, audio_store
 * puts the result files there and deletes the job's objects, and a bucket that cannot be reached fails a stage
 * retryably, never for good, with nothing left in the node's scratch.
 */
class StagesOnS3Test {
  @TempDir
  static Path tmp;
  static S3Server server;
  static ArtifactStore bucket;
  static Vertx vertx;
  static WorkerExecutor pool;
  static Workspace workspace;
  static Path wav;

  @BeforeAll
  static void setUp() throws Exception {
    server = S3Server.start(Files.createDirectories(tmp.resolve("s3")));
    bucket = new S3ArtifactStore(settings(server.endpoint()));
    vertx = Vertx.vertx();
    pool = vertx.createSharedWorkerExecutor("s3-stages-test", 2);
    workspace = new Workspace(tmp.resolve("data"));
    wav = TestAudio.writeWav(tmp.resolve("talk.wav"), 2, 16000, 1);
    await(ConvertBombsTest.answerTiers(vertx, Map.of()));
  }

  @AfterAll
  static void tearDown() {
    await(vertx.close());
    bucket.close();
    server.close();
  }

  static EarshotConfig.S3 settings(String endpoint) {
    return new EarshotConfig.S3(endpoint, S3Server.BUCKET, "us-east-1", S3Server.ACCESS_KEY, S3Server.SECRET_KEY,
        true);
  }

  static boolean scratchGone(Job job) {
    return !Files.exists(workspace.workDir(job.uuid()));
  }

  @Test
  void convertFetchesTheUploadAndPutsThePcmBack() throws Exception {
    Job job = StageFixtures.job(JobStage.AUDIO_CONVERT, new JsonObject());
    String upload = ArtifactKeys.upload(job.uuid(), "talk.wav");
    bucket.put(upload, wav);
    job = StageFixtures.job(JobStage.AUDIO_CONVERT, new JsonObject().put(PayloadKeys.UPLOAD_KEY, upload), job.uuid());
    ConvertStage stage = new ConvertStage(StageFixtures.audio(null, Map.of()), workspace, bucket);

    StageOutcome outcome = await(StageFixtures.run(vertx, pool, stage, job));

    JsonObject payload = assertInstanceOf(StageOutcome.Completed.class, outcome).payload();
    assertEquals(ArtifactKeys.pcm(job.uuid()), payload.getString(PayloadKeys.PCM_KEY));
    assertEquals(2 * 32_000, bucket.size(ArtifactKeys.pcm(job.uuid())).orElseThrow(), 2_000);
    assertTrue(bucket.exists(upload), "the upload stays for a retry");
    assertTrue(scratchGone(job), "the fetched upload and the PCM are gone from scratch");
  }

  @Test
  void storePutsTheResultsInTheBucketAndDeletesTheJobsObjects() throws Exception {
    Job job = StageFixtures.job(JobStage.AUDIO_STORE, new JsonObject());
    bucket.put(ArtifactKeys.pcm(job.uuid()), wav);
    bucket.put(ArtifactKeys.upload(job.uuid(), "talk.wav"), wav);
    JsonObject transcript = new earshot.transcribe.Transcript(" Hi", "en", 2.0,
        java.util.List.of(new earshot.transcribe.Transcript.Segment(0, 0.0, 2.0, " Hi")), "base").toJson();
    job = StageFixtures.job(JobStage.AUDIO_STORE, new JsonObject().put(PayloadKeys.TRANSCRIPT, transcript)
        .put(PayloadKeys.PCM_KEY, ArtifactKeys.pcm(job.uuid())), job.uuid());

    await(StageFixtures.run(vertx, pool, new StoreStage(workspace, bucket, Clock.systemUTC()), job));

    assertEquals(4, bucket.list(ArtifactKeys.resultsPrefix(job.uuid())).size());
    assertEquals(java.util.List.of(), bucket.list(ArtifactKeys.jobPrefix(job.uuid())));
    assertFalse(Files.exists(workspace.resultsDir(job.uuid())), "nothing under data_dir/results with s3");
    assertTrue(scratchGone(job));
  }

  @Test
  void anUnreachableBucketFailsConvertRetryablyAndLeavesNoScratch() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (ArtifactStore down = new S3ArtifactStore(settings("http://127.0.0.1:" + closed))) {
      Job job = StageFixtures.job(JobStage.AUDIO_CONVERT, new JsonObject());
      job = StageFixtures.job(JobStage.AUDIO_CONVERT,
          new JsonObject().put(PayloadKeys.UPLOAD_KEY, ArtifactKeys.upload(job.uuid(), "talk.wav")), job.uuid());
      ConvertStage stage = new ConvertStage(StageFixtures.audio(null, Map.of()), workspace, down);

      Throwable err = awaitFailure(StageFixtures.run(vertx, pool, stage, job));

      assertInstanceOf(ArtifactUnavailableException.class, err);
      assertInstanceOf(StageOutcome.Retry.class, await(StageRunnerVerticle.classify(err)));
      assertTrue(scratchGone(job));
    }
  }

  @Test
  void aBucketThatFailsWhileThePcmIsPutFailsRetryablyAndLeavesNoScratch() throws Exception {
    // The upload is fetched from the real bucket; the PCM goes to a bucket that does not exist.
    ArtifactStore half = new ArtifactStore() {
      final ArtifactStore missing = new S3ArtifactStore(new EarshotConfig.S3(server.endpoint(), "no-such-bucket",
          "us-east-1", S3Server.ACCESS_KEY, S3Server.SECRET_KEY, true));

      @Override public String kind() { return "s3"; }
      @Override public void put(String key, Path file) throws java.io.IOException { missing.put(key, file); }
      @Override public void putMoving(String key, Path file) throws java.io.IOException { missing.putMoving(key, file); }
      @Override public Local fetch(String key, Path dir) throws java.io.IOException { return bucket.fetch(key, dir); }
      @Override public boolean move(String from, String to) { throw new UnsupportedOperationException(); }
      @Override public java.util.OptionalLong size(String key) throws java.io.IOException { return bucket.size(key); }
      @Override public boolean delete(String key) { throw new UnsupportedOperationException(); }
      @Override public int deletePrefix(String prefix) { throw new UnsupportedOperationException(); }
      @Override public java.util.List<StoredObject> list(String prefix) { throw new UnsupportedOperationException(); }
      @Override public PresignedPut presignPut(String key, java.time.Duration ttl) { throw new UnsupportedOperationException(); }
      @Override public void check() { missing.check(); }
      @Override public void close() { missing.close(); }
    };
    try (half) {
      Job job = StageFixtures.job(JobStage.AUDIO_CONVERT, new JsonObject());
      String upload = ArtifactKeys.upload(job.uuid(), "talk.wav");
      bucket.put(upload, wav);
      job = StageFixtures.job(JobStage.AUDIO_CONVERT, new JsonObject().put(PayloadKeys.UPLOAD_KEY, upload), job.uuid());

      Throwable err = awaitFailure(StageFixtures.run(vertx, pool,
          new ConvertStage(StageFixtures.audio(null, Map.of()), workspace, half), job));

      assertInstanceOf(ArtifactUnavailableException.class, err);
      assertInstanceOf(StageOutcome.Retry.class, await(StageRunnerVerticle.classify(err)));
      assertTrue(scratchGone(job), "the fetched upload and the decoded PCM are gone");
    }
  }
}
