package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.pipeline.PermanentStageException;
import earshot.pipeline.RetryableStageException;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.RawSegment;
import earshot.transcribe.WhisperEngine.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine against real whisper.cpp with a synthetic model: sessions, shared model, state cap, bad files. */
class WhisperJniEngineTest {
  static final DecodeOptions GREEDY = new DecodeOptions("en", false, null, 0f, 1, 1);

  @TempDir
  static Path dir;
  static Path model;
  static WhisperJniEngine engine;

  @BeforeAll
  static void setUp() throws Exception {
    model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    engine = new WhisperJniEngine(2);
  }

  @AfterAll
  static void tearDown() {
    engine.close();
  }

  @Test
  void transcribesIntoSegmentsWithinTheAudio() throws Exception {
    float[] audio = TestAudio.tones(12, 1);
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      assertFalse(session.multilingual());
      Result r = session.transcribe(audio, GREEDY);
      assertFalse(r.segments().isEmpty(), "no segments");
      assertEquals("en", r.language());
      assertSane(r.segments(), 12_000);
    }
    assertEquals(0, engine.liveStates());
  }

  @Test
  void beamSearchAndAutoLanguageRunOnAnEnglishOnlyModel() throws Exception {
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      Result r = session.transcribe(TestAudio.tones(5, 2), new DecodeOptions("auto", true, "a prompt", 0.2f, 3, 0));
      assertEquals("en", r.language(), "an English-only model is decoded as English");
      assertSane(r.segments(), 5_000);
    }
  }

  @Test
  void autoLanguageOnAMultilingualModelReportsTheDetectedLanguage() throws Exception {
    Path multi = SyntheticModel.write(dir.resolve("ggml-multi.bin"), SyntheticModel.Spec.tiny().multilingual());
    try (var session = engine.open(multi, Duration.ofSeconds(10))) {
      assertTrue(session.multilingual());
      Result r = session.transcribe(TestAudio.tones(4, 9), new DecodeOptions("auto", false, null, 0f, 1, 1));
      assertTrue(r.language() != null && r.language().matches("[a-z]{2,3}") && !"auto".equals(r.language()),
          "detected: " + r.language());
      assertSane(r.segments(), 4_000);
    }
  }

  @Test
  void audioShorterThanOneSecondIsPaddedNotDropped() throws Exception {
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      Result r = session.transcribe(TestAudio.tones(0.4, 3), GREEDY);
      assertSane(r.segments(), 400);
      assertTrue(session.transcribe(new float[0], GREEDY).segments().isEmpty());
    }
  }

  @Test
  void theSharedModelServesTwoConcurrentJobsWithTheResultsOfOneAlone() throws Exception {
    float[] a = TestAudio.tones(20, 4);
    float[] b = TestAudio.tones(20, 5);
    List<RawSegment> aloneA = once(a);
    List<RawSegment> aloneB = once(b);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      CyclicBarrier together = new CyclicBarrier(2);
      Future<List<RawSegment>> fa = pool.submit(() -> {
        together.await();
        return once(a);
      });
      Future<List<RawSegment>> fb = pool.submit(() -> {
        together.await();
        return once(b);
      });
      assertEquals(aloneA, fa.get(60, TimeUnit.SECONDS));
      assertEquals(aloneB, fb.get(60, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void liveStatesNeverExceedTheCap() throws Exception {
    try (var first = engine.open(model, Duration.ofSeconds(10))) {
      WhisperEngine.Session second = engine.open(model, Duration.ofSeconds(10));
      assertEquals(2, engine.liveStates());
      var e = assertThrows(RetryableStageException.class, () -> engine.open(model, Duration.ofMillis(50)));
      assertTrue(e.getMessage().contains("busy"), e.getMessage());
      assertEquals(2, engine.liveStates());
      second.close();
      try (var third = engine.open(model, Duration.ofSeconds(10))) {
        assertEquals(2, engine.liveStates());
        assertSane(third.transcribe(TestAudio.tones(2, 6), GREEDY).segments(), 2_000);
      }
      assertSane(first.transcribe(TestAudio.tones(2, 7), GREEDY).segments(), 2_000);
    }
    assertEquals(0, engine.liveStates());
    assertThrows(IllegalArgumentException.class, () -> new WhisperJniEngine(9));
  }

  @Test
  void corruptModelsAreRefusedBeforeWhisperCppSeesThem() throws Exception {
    byte[] all = Files.readAllBytes(model);
    Path truncated = Files.write(dir.resolve("truncated.bin"), Arrays.copyOf(all, 200));
    Path halfTensors = Files.write(dir.resolve("half.bin"), Arrays.copyOf(all, all.length / 2));
    Path noSpace = SyntheticModel.write(dir.resolve("nospace.bin"), SyntheticModel.Spec.tiny().withoutSpaceToken());
    Path f32 = SyntheticModel.write(dir.resolve("f32.bin"), SyntheticModel.Spec.tiny().ftype(0));
    for (Path bad : List.of(truncated, halfTensors, noSpace, f32)) {
      var e = assertThrows(PermanentStageException.class, () -> engine.open(bad, Duration.ofSeconds(1)));
      assertTrue(e.getMessage().contains("invalid whisper model"), e.getMessage());
    }
    assertEquals(0, engine.liveStates(), "a refused model takes no state");
    // the JVM is still alive and the good model still works
    assertFalse(once(TestAudio.tones(3, 8)).isEmpty());
  }

  private static List<RawSegment> once(float[] audio) throws InterruptedException {
    try (var session = engine.open(model, Duration.ofSeconds(30))) {
      return session.transcribe(audio, GREEDY).segments();
    }
  }

  static void assertSane(List<RawSegment> segments, long lengthMs) {
    long prevEnd = 0;
    for (RawSegment s : segments) {
      assertTrue(s.startMs() >= prevEnd && s.endMs() >= s.startMs() && s.endMs() <= lengthMs, segments.toString());
      prevEnd = s.endMs();
    }
  }
}
