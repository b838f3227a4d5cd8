package earshot.pipeline;

import earshot.runner.StageOutcome;
import earshot.runner.StageRunnerVerticle;
import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.AudioBombs;
import earshot.audio.AudioDecoder;
import earshot.audio.DiskFullException;
import earshot.audio.TestAudio;
import earshot.jobs.Job;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ConvertStage on a data directory that is a 2 MiB tmpfs: a disk that fills while decoding, and one found too small
 * before decoding, are retried (the input is not at fault), not failed for good. Mounting needs root, as the test
 * machines and CI have; elsewhere the class is skipped with the reason.
 */
class ConvertDiskFullTest {
  @TempDir
  static Path tmp;
  static Path dataDir;
  static boolean mounted;
  static Vertx vertx;
  static WorkerExecutor pool;
  static Workspace workspace;

  @BeforeAll
  static void mountSmallDisk() throws IOException, InterruptedException {
    dataDir = Files.createDirectories(tmp.resolve("small-disk"));
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dataDir.toString())
        .redirectErrorStream(true).start();
    String output = new String(mount.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    mounted = mount.waitFor() == 0;
    Assumptions.assumeTrue(mounted, "cannot mount a 2 MiB tmpfs (needs root): " + output.strip());
    vertx = Vertx.vertx();
    pool = vertx.createSharedWorkerExecutor("disk-full-test", 2);
    workspace = new Workspace(dataDir);
    await(ConvertBombsTest.answerTiers(vertx, Map.of()));
  }

  @AfterAll
  static void unmount() throws IOException, InterruptedException {
    if (vertx != null) {
      await(vertx.close());
    }
    if (mounted) {
      new ProcessBuilder("umount", dataDir.toString()).inheritIO().start().waitFor();
    }
  }

  @AfterEach
  void emptyTheDisk() throws IOException {
    Path work = dataDir.resolve("work");
    if (Files.isDirectory(work)) {
      try (var dirs = Files.list(work)) {
        for (Path d : dirs.toList()) {
          workspace.deleteWorkDir(d.getFileName().toString());
        }
      }
    }
  }

  @Test
  void aDiskThatFillsWhileDecodingIsRetried() throws IOException {
    // Two minutes at 16 kHz (3.84 MB of PCM) whose header does not tell its length (ffmpeg guesses about a second
    // from its byte rate), so the check before decoding cannot see that it will not fit; the PCM fills the disk.
    Path wav = AudioBombs.silentWav(tmp.resolve("two-minutes.wav"), 16_000, 120L * 32_000, false);
    assertTrue(new AudioDecoder().probe(wav).declaredSeconds() < 2, "the header understates the length");
    ConvertStage stage = new ConvertStage(StageFixtures.audio(null, Map.of()), workspace, new AudioDecoder(), 0);
    Job job = ConvertBombsTest.job("owner-1", wav);

    Throwable err = awaitFailure(StageFixtures.run(vertx, pool, stage, job));

    assertInstanceOf(DiskFullException.class, err);
    assertTrue(err.getMessage().contains("the disk is full"), err.getMessage());
    assertInstanceOf(StageOutcome.Retry.class, await(StageRunnerVerticle.classify(err)));
  }

  @Test
  void aDiskWithoutRoomForTheDeclaredLengthIsRetriedBeforeDecoding() throws IOException {
    Path wav = TestAudio.writeWav(tmp.resolve("declared-two-minutes.wav"), 120.0, 16_000, 1);
    ConvertStage stage = new ConvertStage(StageFixtures.audio(null, Map.of()), workspace, new AudioDecoder(), 0);
    Job job = ConvertBombsTest.job("owner-1", wav);

    Throwable err = awaitFailure(StageFixtures.run(vertx, pool, stage, job));

    assertInstanceOf(DiskFullException.class, err);
    assertTrue(err.getMessage().startsWith("not enough disk space to decode: 120.0 s of audio needs 3840000 bytes"),
        err.getMessage());
    assertInstanceOf(StageOutcome.Retry.class, await(StageRunnerVerticle.classify(err)));
    assertFalse(Files.exists(workspace.workDir(job.uuid()).resolve("audio.pcm")), "nothing was decoded");
  }

  @Test
  void theReserveIsKeptFreeBesideThePcm() throws IOException {
    // Ten seconds (320 KB of PCM) would fit, but not beside the default 64 MiB kept for everything else.
    Path wav = TestAudio.writeWav(tmp.resolve("ten-seconds.wav"), 10.0, 16_000, 1);
    ConvertStage stage = new ConvertStage(StageFixtures.audio(null, Map.of()), workspace);
    Job job = ConvertBombsTest.job("owner-1", wav);

    Throwable err = awaitFailure(StageFixtures.run(vertx, pool, stage, job));

    assertInstanceOf(DiskFullException.class, err);
    assertTrue(err.getMessage().contains("plus a reserve of " + ConvertStage.SPACE_RESERVE_BYTES), err.getMessage());
    assertEquals(List.of(), listWork(job));
  }

  private static List<Path> listWork(Job job) throws IOException {
    if (!Files.exists(workspace.workDir(job.uuid()))) {
      return List.of(); // the stage's scratch went, and the work directory with it
    }
    try (var files = Files.list(workspace.workDir(job.uuid()))) {
      return files.toList();
    }
  }
}
