package earshot.transcribe;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.bus.Addresses;
import earshot.bus.ProgressReport;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.runner.StageContext;
import earshot.runner.StageOutcome;
import earshot.testsupport.Await;
import earshot.testsupport.Deadlines;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonObject;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audio_transcribe stage end to end on real whisper.cpp (synthetic model): payload in, transcript out, progress
 * on the event bus, and each failure mapped to the right exception type.
 */
class TranscribeStageTest {
  private static final AtomicLong IDS = new AtomicLong();

  @TempDir
  static Path dir;
  static Path models;
  static Path pcm;
  static Vertx vertx;
  static WorkerExecutor pool;
  static WhisperFfmEngine engine;

  @BeforeAll
  static void setUp() throws Exception {
    models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    Files.write(models.resolve("ggml-base.bin"), new byte[] {0x6c, 0x6d, 0x67, 0x67, 1, 2, 3}); // truncated
    pcm = TestAudio.writePcm(dir.resolve("audio.pcm"), TestAudio.silence(TestAudio.tones(70, 21), 30.0, 30.4));
    vertx = Vertx.vertx();
    // Like the runner's stage pool: a decode legitimately blocks its worker for long on a loaded machine.
    pool = vertx.createSharedWorkerExecutor("transcribe-test", 2, 24, TimeUnit.HOURS);
    engine = new WhisperFfmEngine(2, null);
  }

  @AfterAll
  static void tearDown() {
    engine.close();
    await(vertx.close());
  }

  static TranscribeStage stage(Path modelsDir) {
    // One whisper thread: ggml's spinning workers crawl when the two cores are oversubscribed.
    var whisper = new EarshotConfig.Whisper(1, Duration.ofSeconds(30), SyntheticModel.QUICK, 2, null);
    var audio = new EarshotConfig.Audio(modelsDir, "tiny", List.of(), null, whisper, null, Map.of());
    return new TranscribeStage(audio, engine);
  }

  @Test
  void transcribesThePcmFileIntoTheTranscript() {
    StageContext ctx = context(new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString())
        .put(PayloadKeys.MODEL, "whisper-1").put("keep", "me"));
    List<Integer> progress = new CopyOnWriteArrayList<>();
    var consumer = vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_PROGRESS, m -> {
      ProgressReport r = ProgressReport.fromJson(m.body());
      if (r.lease().jobId() == ctx.job().id()) {
        progress.add(r.progress());
      }
    });
    await(consumer.completion());
    try {
      var stage = stage(models);
      assertEquals(JobStage.AUDIO_TRANSCRIBE, stage.stage());
      StageOutcome.Completed done = assertInstanceOf(StageOutcome.Completed.class,
          await(stage.execute(ctx), Deadlines.loaded(Duration.ofSeconds(12))));
      assertEquals("me", done.payload().getString("keep"));
      Transcript t = Transcript.fromJson(done.payload().getJsonObject(PayloadKeys.TRANSCRIPT));
      assertEquals("tiny", t.model());
      assertEquals("en", t.language());
      assertEquals(70.0, t.durationSeconds(), 0.001);
      assertFalse(t.segments().isEmpty());
      double prevEnd = 0;
      for (int i = 0; i < t.segments().size(); i++) {
        var s = t.segments().get(i);
        assertEquals(i, s.id());
        assertTrue(s.start() >= prevEnd && s.end() >= s.start() && s.end() <= 70.0, t.segments().toString());
        prevEnd = s.end();
      }
      Await.until("progress reaches 100", Deadlines.WAIT, () -> !progress.isEmpty() && progress.getLast() == 100);
      for (int i = 1; i < progress.size(); i++) {
        assertTrue(progress.get(i) > progress.get(i - 1), progress.toString());
      }
      assertEquals(0, engine.liveStates());
    } finally {
      await(consumer.unregister());
    }
  }

  @Test
  void anAbortedJobStopsBeforeTheNextWindow() throws Exception {
    StageContext ctx = context(new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()));
    Method abort = StageContext.class.getDeclaredMethod("abort", String.class);
    abort.setAccessible(true);
    abort.invoke(ctx, "cancelled");
    Throwable e = awaitFailure(stage(models).execute(ctx));
    assertInstanceOf(RetryableStageException.class, e);
    assertTrue(e.getMessage().contains("aborted"), e.getMessage());
    assertEquals(0, engine.liveStates());
  }

  /**
   * The abort is raised by an outbound interceptor, on the decoding thread while it sends the first progress report
   * of the first window (whisper.cpp's progress callback), so it certainly lands inside that window's decode however
   * slow the machine is. Only a stage whose running decode polls the abort stops there, after 0 windows; one that
   * checked only between windows would finish the window first.
   */
  @Test
  void anAbortDuringADecodeStopsWhisperInsideTheWindow() throws Exception {
    StageContext ctx = context(new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()));
    Method abort = StageContext.class.getDeclaredMethod("abort", String.class);
    abort.setAccessible(true);
    List<Integer> reported = new CopyOnWriteArrayList<>();
    Handler<DeliveryContext<Object>> abortOnFirstProgress = dc -> {
      if (Addresses.JOBS_PROGRESS.equals(dc.message().address())) {
        ProgressReport r = ProgressReport.fromJson((JsonObject) dc.body());
        if (r.lease().jobId() == ctx.job().id() && r.progress() > 0) {
          reported.add(r.progress());
          if (reported.size() == 1) {
            try {
              abort.invoke(ctx, "cancelled");
            } catch (ReflectiveOperationException e) {
              throw new IllegalStateException(e);
            }
          }
        }
      }
      dc.next();
    };
    vertx.eventBus().addOutboundInterceptor(abortOnFirstProgress);
    try {
      Throwable e = awaitFailure(stage(models).execute(ctx));
      assertInstanceOf(RetryableStageException.class, e);
      assertTrue(e.getMessage().contains("after 0 windows: aborted"), e.getMessage());
      assertEquals(1, reported.size(), "nothing more was decoded after the abort: " + reported);
      assertEquals(0, engine.liveStates());
    } finally {
      vertx.eventBus().removeOutboundInterceptor(abortOnFirstProgress);
    }
  }

  @Test
  void aMissingModelNamesTheModelsDirectoryAndTheDownloadCommand() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty-models"));
    Throwable e = awaitFailure(stage(empty).execute(context(new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()))));
    assertInstanceOf(PermanentStageException.class, e);
    assertTrue(e.getMessage().contains(empty.toAbsolutePath().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("scripts/download-model.sh tiny"), e.getMessage());
    assertTrue(e.getMessage().startsWith(ModelRegistry.NOT_INSTALLED), "an API can tell it apart: " + e.getMessage());
  }

  @Test
  void badInputsFailPermanently() throws Exception {
    Path emptyPcm = Files.createFile(dir.resolve("empty.pcm"));
    Map<String, JsonObject> cases = Map.of(
        "unknown model", new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()).put(PayloadKeys.MODEL, "gpt-4o"),
        "invalid whisper model", new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()).put(PayloadKeys.MODEL, "base"),
        "no converted audio", new JsonObject(),
        "does not exist", new JsonObject().put(PayloadKeys.PCM_FILE, dir.resolve("nope.pcm").toString()),
        "no samples", new JsonObject().put(PayloadKeys.PCM_FILE, emptyPcm.toString()),
        "beam_size", new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()).put(PayloadKeys.BEAM_SIZE, 9),
        "best_of", new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()).put(PayloadKeys.BEST_OF, 0),
        "temperature_inc",
        new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()).put(PayloadKeys.TEMPERATURE_INC, 1.5),
        "invalid transcription parameters",
        new JsonObject().put(PayloadKeys.PCM_FILE, pcm.toString()).put(PayloadKeys.TRANSLATE, "yes"));
    cases.forEach((expected, payload) -> {
      Throwable e = awaitFailure(stage(models).execute(context(payload)));
      assertInstanceOf(PermanentStageException.class, e, expected + ": " + e);
      assertTrue(e.getMessage().contains(expected), expected + " not in: " + e.getMessage());
    });
    assertEquals(0, engine.liveStates());
  }

  @Test
  void aJobWithoutDecodingParametersGetsWhisperCppsDefaults() throws Throwable {
    var bundled = ConfigLoader.load(new String[0], Map.of()).audio().whisper();
    var audio = new EarshotConfig.Audio(models, "tiny", List.of(), null, bundled, null, Map.of());
    DecodeOptions o = new TranscribeStage(audio, engine).request(new JsonObject()
        .put(PayloadKeys.PCM_FILE, pcm.toString())).options();
    try (Arena call = Arena.ofConfined()) {
      MemorySegment p = FullParams.build(WhisperLibrary.load(null), call, o, "en", false, false,
          FullParams.Callbacks.NONE);
      assertEquals(FullParamsLayout.SAMPLING_GREEDY, FullParamsLayout.getInt(p, "strategy"));
      assertEquals(5, FullParamsLayout.getInt(p, "greedy", "best_of"));
      assertEquals(0.2f, FullParamsLayout.getFloat(p, "temperature_inc"));
      assertEquals(0.0f, FullParamsLayout.getFloat(p, "temperature"));
    }
  }

  @Test
  void aJobsDecodingParametersOverrideTheNodesAndReachWhisperFull() throws Throwable {
    Path shortPcm = TestAudio.writePcm(dir.resolve("short.pcm"), TestAudio.tones(8, 22));
    JsonObject payload = new JsonObject().put(PayloadKeys.PCM_FILE, shortPcm.toString())
        .put(PayloadKeys.BEAM_SIZE, 3).put(PayloadKeys.TEMPERATURE, 0.5).put(PayloadKeys.TEMPERATURE_INC, 0);
    var stage = stage(models);
    DecodeOptions o = stage.request(payload).options();
    assertEquals(new WhisperEngine.Sampling(3, SyntheticModel.QUICK.bestOf(), 0.5f, 0f), o.sampling(),
        "best_of is the node's; the rest the job's");
    try (Arena call = Arena.ofConfined()) {
      MemorySegment p = FullParams.build(WhisperLibrary.load(null), call, o, "en", false, false,
          FullParams.Callbacks.NONE);
      assertEquals(FullParamsLayout.SAMPLING_BEAM_SEARCH, FullParamsLayout.getInt(p, "strategy"));
      assertEquals(3, FullParamsLayout.getInt(p, "beam_search", "beam_size"));
      assertEquals(1, FullParamsLayout.getInt(p, "greedy", "best_of"));
      assertEquals(0.5f, FullParamsLayout.getFloat(p, "temperature"));
      assertEquals(0.0f, FullParamsLayout.getFloat(p, "temperature_inc"));
    }
    StageOutcome.Completed done = assertInstanceOf(StageOutcome.Completed.class,
        await(stage.execute(context(payload)), Duration.ofSeconds(120)));
    assertFalse(Transcript.fromJson(done.payload().getJsonObject(PayloadKeys.TRANSCRIPT)).segments().isEmpty());
  }

  /** StageContext's constructor belongs to the runner; tests reach it by reflection rather than widen it. */
  static StageContext context(JsonObject payload) {
    long id = IDS.incrementAndGet();
    Instant now = Instant.now();
    Job job = new Job(id, "00000000-0000-0000-0000-00000000000" + id % 10, "owner", "default",
        JobStage.AUDIO_TRANSCRIBE, "transcribe", JobStatus.PROCESSING, 0, 0, 3, payload, null, null, 0, 0, "test",
        now.plusSeconds(60), 1, now, null, now, now, null, now);
    try {
      Constructor<StageContext> c =
          StageContext.class.getDeclaredConstructor(Job.class, Vertx.class, WorkerExecutor.class);
      c.setAccessible(true);
      return c.newInstance(job, vertx, pool);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }
}
