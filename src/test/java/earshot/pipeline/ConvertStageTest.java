package earshot.pipeline;

import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.DecodeCancelledException;
import earshot.audio.TestAudio;
import earshot.bus.Addresses;
import earshot.config.EarshotConfig;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.testsupport.Await;
import earshot.testsupport.Deadlines;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ConvertStage through a real StageContext, worker pool and event bus, decoding real files with ffmpeg. */
class ConvertStageTest {
  @TempDir
  static Path tmp;
  static Vertx vertx;
  static WorkerExecutor pool;
  static Path root;
  static Path mp3;
  static Path wav;
  static Workspace workspace;
  static ConvertStage stage;
  private static final java.util.concurrent.atomic.AtomicLong NEXT_ID = new java.util.concurrent.atomic.AtomicLong();

  @BeforeAll
  static void setUp() throws IOException {
    vertx = Vertx.vertx();
    pool = vertx.createSharedWorkerExecutor("convert-test", 2);
    root = Files.createDirectories(tmp.resolve("media"));
    Path source = TestAudio.writeWav(tmp.resolve("source.wav"), 4.0, 22_050, 1);
    mp3 = TestAudio.encode(source, TestAudio.Format.MP3, root, "talk");
    wav = TestAudio.encode(source, TestAudio.Format.WAV, tmp, "upload");
    workspace = new Workspace(tmp.resolve("data"));
    EarshotConfig.Audio audio = new EarshotConfig.Audio(tmp.resolve("models"), "base.en", List.of(root),
        null, null, null, Map.of());
    stage = new ConvertStage(audio, workspace);
    await(ConvertBombsTest.answerTiers(vertx, Map.of()));
  }

  @AfterAll
  static void tearDown() {
    await(vertx.close());
  }

  @Test
  void decodesAnUploadIntoTheArtifactStoreAndReportsProgress() throws IOException {
    Job job = job(new JsonObject().put(PayloadKeys.MODEL, "base.en"));
    String uploadKey = earshot.artifacts.ArtifactKeys.upload(job.uuid(), "talk.wav");
    Path upload = Files.createDirectories(workspace.dataDir().resolve("jobs").resolve(job.uuid())).resolve("upload.wav");
    Files.copy(wav, upload);
    job = job(new JsonObject().put(PayloadKeys.UPLOAD_KEY, uploadKey).put(PayloadKeys.MODEL, "base.en"), job.uuid());
    long id = job.id();
    List<Integer> progress = new CopyOnWriteArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_PROGRESS,
        m -> {
          if (m.body().getLong("id") == id) {
            progress.add(m.body().getInteger("progress"));
          }
        }).completion());

    StageOutcome outcome = await(stage.execute(new StageContext(job, vertx, pool)));

    JsonObject payload = assertInstanceOf(StageOutcome.Completed.class, outcome).payload();
    assertEquals("jobs/" + job.uuid() + "/audio.pcm", payload.getString(PayloadKeys.PCM_KEY));
    assertEquals(4.0, payload.getDouble(PayloadKeys.DURATION_SECONDS), 0.05);
    assertEquals("base.en", payload.getString(PayloadKeys.MODEL), "the input payload is carried forward");
    assertTrue(Files.isRegularFile(workspace.dataDir().resolve(payload.getString(PayloadKeys.PCM_KEY))));
    assertTrue(Files.isRegularFile(upload), "the upload stays for a retry");
    assertTrue(!Files.exists(workspace.workDir(job.uuid())), "no scratch is left");
    Await.until("progress 10 then 100", Deadlines.WAIT, () -> progress.equals(List.of(10, 100)));
  }

  @Test
  void sourceFileWinsOverUpload() throws IOException {
    Path text = Files.writeString(tmp.resolve("not-audio.mp3"), "not audio");
    Job job = job(new JsonObject().put(PayloadKeys.SOURCE_FILE, mp3.toString())
        .put(PayloadKeys.UPLOAD_PATH, text.toString()));

    StageOutcome outcome = await(stage.execute(new StageContext(job, vertx, pool)));

    assertEquals(4.0, ((StageOutcome.Completed) outcome).payload().getDouble(PayloadKeys.DURATION_SECONDS), 0.1);
  }

  @Test
  void decodesALocalPathUnderAnAllowedRoot() {
    Job job = job(new JsonObject().put(PayloadKeys.LOCAL_PATH, mp3.toString()));

    StageOutcome outcome = await(stage.execute(new StageContext(job, vertx, pool)));

    assertEquals(4.0, ((StageOutcome.Completed) outcome).payload().getDouble(PayloadKeys.DURATION_SECONDS), 0.1);
  }

  @Test
  void localPathOutsideTheRootsFailsPermanently() {
    Job job = job(new JsonObject().put(PayloadKeys.LOCAL_PATH, wav.toString()));

    Throwable err = awaitFailure(stage.execute(new StageContext(job, vertx, pool)));

    assertInstanceOf(PermanentStageException.class, err);
    assertTrue(err.getMessage().endsWith("not found or not allowed"), err.getMessage());
  }

  @Test
  void notAudioFailsPermanently() throws IOException {
    Path text = Files.writeString(tmp.resolve("readme.mp3"), "hello, this is text\n".repeat(50));
    Job job = job(new JsonObject().put(PayloadKeys.UPLOAD_PATH, text.toString()));

    Throwable err = awaitFailure(stage.execute(new StageContext(job, vertx, pool)));

    assertInstanceOf(PermanentStageException.class, err);
    assertTrue(err.getMessage().startsWith("Failed to load audio: "), err.getMessage());
  }

  @Test
  void missingInputFailsPermanently() {
    Job job = job(new JsonObject().put(PayloadKeys.MODEL, "base.en"));

    Throwable err = awaitFailure(stage.execute(new StageContext(job, vertx, pool)));

    assertInstanceOf(PermanentStageException.class, err);
    assertTrue(err.getMessage().contains(PayloadKeys.UPLOAD_KEY), err.getMessage());
  }

  @Test
  void anAbortedJobDoesNotComplete() {
    Job job = job(new JsonObject().put(PayloadKeys.UPLOAD_PATH, wav.toString()));
    StageContext ctx = new StageContext(job, vertx, pool);
    ctx.abort("cancelled");

    Throwable err = awaitFailure(stage.execute(ctx));

    assertInstanceOf(DecodeCancelledException.class, err);
  }

  private static Job job(JsonObject payload) {
    return job(payload, UUID.randomUUID().toString());
  }

  private static Job job(JsonObject payload, String uuid) {
    Instant now = Instant.now();
    return new Job(NEXT_ID.incrementAndGet(), uuid, "owner-1", "default", JobStage.AUDIO_CONVERT, "default",
        JobStatus.PROCESSING, 0, 0, 3, payload, null, null, 0, 0, "test-worker", now.plusSeconds(60), 1, now,
        null, now, now, null, now);
  }
}
