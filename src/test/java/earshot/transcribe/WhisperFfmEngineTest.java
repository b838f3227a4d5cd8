package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import earshot.testsupport.Deadlines;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.Listener;
import earshot.transcribe.WhisperEngine.RawSegment;
import earshot.transcribe.WhisperEngine.Result;
import earshot.transcribe.WhisperEngine.Sampling;
import earshot.transcribe.WhisperEngine.Word;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FFM engine against whisper-jni's bundled libwhisper.so.1 with a synthetic model (in this forked JVM). */
class WhisperFfmEngineTest {
  static final DecodeOptions GREEDY = new DecodeOptions("en", false, null, SyntheticModel.QUICK, 1, true);

  @TempDir
  static Path dir;
  static Path model;
  static WhisperFfmEngine engine;

  @BeforeAll
  static void setUp() throws Exception {
    model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    engine = new WhisperFfmEngine(2, null);
  }

  @AfterAll
  static void tearDown() {
    engine.close();
  }

  @Test
  void wordsExistAndLieInsideTheirSegment() throws Exception {
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      Result r = session.transcribe(TestAudio.tones(12, 1), GREEDY);
      assertFalse(r.segments().isEmpty(), "no segments");
      assertEquals("en", r.language());
      assertSane(r.segments(), 12_000);
      int words = 0;
      for (RawSegment s : r.segments()) {
        long prev = s.startMs();
        for (Word w : s.words()) {
          assertTrue(w.startMs() >= prev && w.endMs() >= w.startMs() && w.endMs() <= s.endMs(), s.toString());
          assertTrue(w.probability() >= 0 && w.probability() <= 1, w.toString());
          assertFalse(w.word().isBlank());
          prev = w.startMs();
          words++;
        }
      }
      assertTrue(words > 0, "no words in " + r.segments());
    }
    assertEquals(0, engine.liveStates());
  }

  @Test
  void everySegmentCarriesItsTokenIdsAndTheirMeanLogprobWithOrWithoutWords() throws Exception {
    DecodeOptions noWords = new DecodeOptions("en", false, null, SyntheticModel.QUICK, 1, false);
    for (DecodeOptions options : List.of(GREEDY, noWords)) {
      try (var session = engine.open(model, Duration.ofSeconds(10))) {
        Result r = session.transcribe(TestAudio.tones(12, 1), options);
        assertFalse(r.segments().isEmpty(), "no segments");
        for (RawSegment s : r.segments()) {
          assertFalse(s.tokens().isEmpty(), s.toString());
          assertTrue(s.tokens().stream().allMatch(id -> id >= 0 && id < SyntheticModel.Spec.tiny().nVocab()),
              s.toString());
          assertNotNull(s.avgLogprob(), s.toString());
          assertTrue(Double.isFinite(s.avgLogprob()) && s.avgLogprob() <= 0, s.toString());
          assertEquals(null, s.noSpeechProb(), "whisper.cpp 1.7.1 does not export it");
        }
      }
    }
  }

  @Test
  void progressOnlyRisesAndEndsAt100AndSegmentsArriveAsProduced() throws Exception {
    List<Integer> progress = new CopyOnWriteArrayList<>();
    List<RawSegment> streamed = new CopyOnWriteArrayList<>();
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      Result r = session.transcribe(TestAudio.tones(65, 2), GREEDY, new Listener() {
        @Override
        public void progress(int percent) {
          progress.add(percent);
        }

        @Override
        public void segment(RawSegment segment) {
          streamed.add(segment);
        }
      });
      assertEquals(r.segments(), streamed);
      assertFalse(r.aborted());
    }
    assertTrue(progress.size() > 1, "only " + progress);
    for (int i = 1; i < progress.size(); i++) {
      assertTrue(progress.get(i) > progress.get(i - 1), progress.toString());
    }
    assertEquals(100, progress.getLast());
  }

  /** The cancel is raised at whisper.cpp's first progress callback: a decode that heeds it reports nothing after. */
  @Test
  void cancelStopsALongDecodeAtOnceAndTheEngineStaysUsable() throws Exception {
    List<Integer> progress = new CopyOnWriteArrayList<>();
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      Listener listener = new Listener() {
        @Override
        public void progress(int percent) {
          progress.add(percent); // the first report comes once the decode is well under way
        }

        @Override
        public boolean cancelled() {
          return !progress.isEmpty();
        }
      };
      Result r = session.transcribe(TestAudio.tones(180, 3), GREEDY, listener);
      assertTrue(r.aborted());
      assertEquals(1, progress.size(), "the decode went on after the cancel: " + progress);
      assertTrue(progress.getFirst() < 100, progress.toString());
      Result after = session.transcribe(TestAudio.tones(3, 4), GREEDY);
      assertFalse(after.aborted());
      assertSane(after.segments(), 3_000);
    }
    assertFalse(once(TestAudio.tones(3, 5)).isEmpty());
  }

  @Test
  void autoLanguageOnAMultilingualModelReportsTheLanguageAndItsProbability() throws Exception {
    Path multi = SyntheticModel.write(dir.resolve("ggml-multi.bin"), SyntheticModel.Spec.tiny().multilingual());
    try (var session = engine.open(multi, Duration.ofSeconds(10))) {
      Result r = session.transcribe(TestAudio.tones(4, 9),
          new DecodeOptions("auto", false, null, SyntheticModel.QUICK, 1, true));
      assertTrue(r.language() != null && r.language().matches("[a-z]{2,3}"), "detected: " + r.language());
      assertNotNull(r.languageProbability());
      assertTrue(r.languageProbability() > 0 && r.languageProbability() <= 1, "p=" + r.languageProbability());
    }
  }

  @Test
  void concurrentJobsOnOneSharedModelGiveTheResultsOfEachAlone() throws Exception {
    float[] a = TestAudio.tones(20, 6);
    float[] b = TestAudio.tones(20, 7);
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
      assertEquals(aloneA, fa.get(Deadlines.WAIT.toMillis(), TimeUnit.MILLISECONDS));
      assertEquals(aloneB, fb.get(Deadlines.WAIT.toMillis(), TimeUnit.MILLISECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void beamSearchAndShortAudioWork() throws Exception {
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      // One whisper thread: with all cores, ggml's spinning workers took 200 s here when the cores were busy.
      Result r = session.transcribe(TestAudio.tones(5, 8), new DecodeOptions("auto", true, "a prompt",
          new Sampling(3, 1, 0.2f, 0.4f), 1, true));
      assertEquals("en", r.language(), "an English-only model is decoded as English");
      assertSane(r.segments(), 5_000);
      assertSane(session.transcribe(TestAudio.tones(0.4, 9), GREEDY).segments(), 400);
      assertTrue(session.transcribe(new float[0], GREEDY).segments().isEmpty());
    }
  }

  @Test
  void beamSearchUpToWhisperCppsDecoderLimitReturnsSegments() throws Exception {
    try (var session = engine.open(model, Duration.ofSeconds(10))) {
      for (int beam : new int[] {2, Sampling.MAX_DECODERS}) {
        Result r = session.transcribe(TestAudio.tones(6, 13),
            new DecodeOptions("en", false, null, new Sampling(beam, null, null, 0f), 1, false));
        assertFalse(r.segments().isEmpty(), "beam " + beam + ": no segments");
        assertSane(r.segments(), 6_000);
      }
      // one beam more and whisper.cpp refuses the decode: why the API and the config stop at MAX_DECODERS
      var e = assertThrows(RetryableStageException.class, () -> session.transcribe(TestAudio.tones(2, 14),
          new DecodeOptions("en", false, null, new Sampling(Sampling.MAX_DECODERS + 1, null, null, 0f), 1, false)));
      assertTrue(e.getMessage().contains("code -4"), e.getMessage());
    }
  }

  @Test
  void textIsDecodedAsUtf8IncludingFourByteCharacters() {
    try (Arena arena = Arena.ofConfined()) {
      String s = "é 日本 😀";
      assertEquals(s, WhisperLibrary.cString(arena.allocateFrom(s)));
    }
  }

  @Test
  void liveStatesNeverExceedTheCap() throws Exception {
    try (var first = engine.open(model, Duration.ofSeconds(10))) {
      WhisperEngine.Session second = engine.open(model, Duration.ofSeconds(10));
      assertEquals(2, engine.liveStates());
      var e = assertThrows(RetryableStageException.class, () -> engine.open(model, Duration.ofMillis(50)));
      assertTrue(e.getMessage().contains("busy"), e.getMessage());
      second.close();
      try (var third = engine.open(model, Duration.ofSeconds(10))) {
        assertEquals(2, engine.liveStates());
        assertSane(third.transcribe(TestAudio.tones(2, 10), GREEDY).segments(), 2_000);
      }
      assertSane(first.transcribe(TestAudio.tones(2, 11), GREEDY).segments(), 2_000);
    }
    assertEquals(0, engine.liveStates());
    assertThrows(IllegalArgumentException.class, () -> new WhisperFfmEngine(9, null));
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
    assertFalse(once(TestAudio.tones(3, 12)).isEmpty());
  }

  static void assertSane(List<RawSegment> segments, long lengthMs) {
    long prevEnd = 0;
    for (RawSegment s : segments) {
      assertTrue(s.startMs() >= prevEnd && s.endMs() >= s.startMs() && s.endMs() <= lengthMs, segments.toString());
      prevEnd = s.endMs();
    }
  }

  private static List<RawSegment> once(float[] audio) throws InterruptedException {
    try (var session = engine.open(model, Duration.ofSeconds(30))) {
      return new ArrayList<>(session.transcribe(audio, GREEDY).segments());
    }
  }
}
