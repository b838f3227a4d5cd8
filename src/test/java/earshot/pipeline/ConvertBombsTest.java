package earshot.pipeline;

import earshot.jobs.PayloadKeys;
import earshot.jobs.PermanentStageException;
import earshot.runner.StageOutcome;
import earshot.runner.StageRunnerVerticle;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.AudioBombs;
import earshot.audio.AudioDecoder;
import earshot.audio.TestAudio;
import earshot.bus.Addresses;
import earshot.bus.OwnerQuery;
import earshot.bus.OwnerTier;
import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import earshot.tiers.Tier;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decompression bombs through the real ConvertStage, its real ffmpeg and a stand-in for the scheduler's tier
 * answers: each is refused with the owner's max_file_minutes, and the PCM written before the refusal is measured
 * (never more than the limit), not the time it took.
 */
class ConvertBombsTest {
  /** A tier whose files may be 30 minutes long, as the bundled free tier. */
  static final Tier FREE = new Tier("free", 1, 1, null, 30, null, 0, 1);
  /** A tier whose files may be one minute long: a decode stopped there has written 1.92 MB. */
  static final Tier MINUTE = new Tier("minute", 1, 1, null, 1, null, 0, 1);
  static final long MINUTE_OF_PCM = 60L * AudioDecoder.BYTES_PER_SECOND;
  /** What the PCM of a refused file may exceed its limit by (none is written past it; a buffer of slack). */
  static final long MARGIN = 64 * 1024;
  static final String REFUSED = "quota_exceeded: max_file_minutes: ";

  @TempDir
  static Path tmp;
  static Vertx vertx;
  static WorkerExecutor pool;
  static Workspace workspace;
  static ConvertStage stage;
  static Path tenHourFlac;

  @BeforeAll
  static void setUp() throws IOException {
    vertx = Vertx.vertx();
    pool = vertx.createSharedWorkerExecutor("bombs-test", 2);
    workspace = new Workspace(tmp.resolve("data"));
    stage = new ConvertStage(StageFixtures.audio(null, Map.of()), workspace);
    await(answerTiers(vertx, Map.of("free-owner", FREE, "minute-owner", MINUTE)));
    tenHourFlac = AudioBombs.silentFlac(tmp.resolve("ten-hours.flac"), 10 * 3600);
  }

  @AfterAll
  static void tearDown() {
    await(vertx.close());
  }

  /**
   * Answers {@code earshot.quota.tier.get} as the scheduler would: the tier in {@code tiers} for its owner, an
   * unlimited one for everybody else.
   */
  static Future<Void> answerTiers(Vertx vertx, Map<String, Tier> tiers) {
    return vertx.eventBus().<JsonObject>consumer(Addresses.QUOTA_TIER_GET, m -> {
      String owner = OwnerQuery.fromJson(m.body()).ownerUserId();
      Tier tier = tiers.getOrDefault(owner, Tier.unlimited("default", 1));
      m.reply(new OwnerTier(owner, tier, tiers.containsKey(owner)).toJson());
    }).completion();
  }

  @Test
  void tenHoursOfSilenceInASmallFlacAreRefusedBeforeDecoding() throws IOException {
    assertTrue(Files.size(tenHourFlac) < 200_000, "the bomb is small: " + Files.size(tenHourFlac));
    Job job = job("free-owner", tenHourFlac);

    String error = refusal(job);

    assertTrue(error.contains("the audio is 600.0 minutes long and tier free allows files of up to 30 minutes"), error);
    assertEquals(0, AudioBombs.bytesUnder(workspace.workDir(job.uuid())), "nothing was decoded");
  }

  @Test
  void aWavDeclaringOneHertzIsRefusedBeforeDecoding() throws IOException {
    // 64 KB of 16-bit samples at 1 Hz: 32,768 s, 1 GB once resampled to 16 kHz.
    Path wav = AudioBombs.silentWav(tmp.resolve("one-hertz.wav"), 1, 64 * 1024, true);
    Job job = job("free-owner", wav);

    String error = refusal(job);

    assertTrue(error.contains("the audio is 546.1 minutes long"), error);
    assertEquals(0, AudioBombs.bytesUnder(workspace.workDir(job.uuid())), "nothing was decoded");
  }

  @Test
  void aOneHertzWavThatHidesItsLengthIsStoppedAtTheLimit() throws IOException {
    Path wav = AudioBombs.silentWav(tmp.resolve("one-hertz-no-length.wav"), 1, 64 * 1024, false);
    assertEquals(0, new AudioDecoder().probe(wav).declaredSeconds(), "ffmpeg cannot tell its length");
    Job job = job("minute-owner", wav);

    String error = refusal(job);

    assertTrue(error.contains("longer than the 1 minutes tier minute allows for a file"), error);
    assertPcmStoppedAtTheLimit(job);
  }

  @Test
  void aFlacThatUnderstatesItsLengthIsStoppedAtTheLimit() throws IOException {
    Path lying = AudioBombs.flacClaimingSamples(tenHourFlac, tmp.resolve("says-one-second.flac"), 8_000);
    assertEquals(1.0, new AudioDecoder().probe(lying).declaredSeconds(), 0.01, "the header says one second");
    Job job = job("minute-owner", lying);

    String error = refusal(job);

    assertTrue(error.contains("longer than the 1 minutes tier minute allows for a file"), error);
    assertPcmStoppedAtTheLimit(job);
  }

  @Test
  void aFileWithinTheLimitIsDecodedWhole() throws IOException {
    Path wav = TestAudio.writeWav(tmp.resolve("short.wav"), 4.0, 22_050, 1);
    Job job = job("minute-owner", wav);

    StageOutcome outcome = await(StageFixtures.run(vertx, pool, stage, job));

    JsonObject payload = assertInstanceOf(StageOutcome.Completed.class, outcome).payload();
    assertEquals(4.0, payload.getDouble(PayloadKeys.DURATION_SECONDS), 0.05);
  }

  /** Runs the stage, expecting the max_file_minutes refusal as a permanent failure (the job fails, no retry). */
  private static String refusal(Job job) {
    Throwable err = awaitFailure(StageFixtures.run(vertx, pool, stage, job));
    lastRefusal = err;
    assertInstanceOf(PermanentStageException.class, err);
    assertTrue(err.getMessage().startsWith(REFUSED), err.getMessage());
    assertInstanceOf(StageOutcome.Fail.class, await(StageRunnerVerticle.classify(err)));
    return err.getMessage();
  }

  private static Throwable lastRefusal;

  /** The PCM held when the decode was stopped (its size rides on the refusal's cause); none is left behind. */
  private static void assertPcmStoppedAtTheLimit(Job job) throws IOException {
    long written = assertInstanceOf(earshot.audio.AudioTooLongException.class, lastRefusal.getCause()).pcmBytes();
    assertEquals(0, AudioBombs.bytesUnder(workspace.workDir(job.uuid())), "the partial PCM is deleted");
    assertTrue(written > 0, "the decode ran until the limit");
    assertTrue(written <= MINUTE_OF_PCM + MARGIN, "wrote " + written + " bytes of PCM for a one-minute limit");
  }

  static Job job(String owner, Path upload) {
    Instant now = Instant.now();
    JsonObject payload = new JsonObject().put(PayloadKeys.UPLOAD_PATH, upload.toString());
    return new Job(1, UUID.randomUUID().toString(), owner, "default", JobStage.AUDIO_CONVERT, "default",
        JobStatus.PROCESSING, 0, 0, 3, payload, null, null, 0, 0, "test-worker", now.plusSeconds(60), 1, now, null, now,
        now, null, now);
  }
}
