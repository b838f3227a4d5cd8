package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.transcribe.WhisperEngine.DecodeOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Long audio through real whisper.cpp in 30 s windows: absolute times, rising progress, cancel between windows. */
class WindowedTranscriberTest {
  /** One whisper thread: ggml's spinning workers crawl when the two cores are oversubscribed. */
  static final DecodeOptions OPTIONS = new DecodeOptions("en", false, null, SyntheticModel.QUICK, 1, true);
  static final int WINDOW = 30 * PcmFile.SAMPLE_RATE;

  @TempDir
  static Path dir;
  static Path model;
  static Path longAudio;
  static WhisperFfmEngine engine;

  @BeforeAll
  static void setUp() throws Exception {
    model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    float[] audio = TestAudio.tones(80, 11);
    TestAudio.silence(audio, 29.4, 29.8);
    TestAudio.silence(audio, 61.0, 61.3);
    longAudio = TestAudio.writePcm(dir.resolve("long.pcm"), audio);
    engine = new WhisperFfmEngine(2, null);
  }

  @AfterAll
  static void tearDown() {
    engine.close();
  }

  @Test
  void segmentsStayAbsoluteAndMonotonicAcrossWindows() throws Exception {
    List<Integer> progress = new CopyOnWriteArrayList<>();
    WindowedTranscriber.Result r = run(progress::add, () -> false);
    assertFalse(r.aborted());
    assertEquals(3, r.windows(), "cuts near 30 s and 60 s, the last 20 s in one window");
    assertEquals(80.0, r.durationSeconds(), 0.001);
    assertFalse(r.segments().isEmpty());
    double prevEnd = 0;
    for (int i = 0; i < r.segments().size(); i++) {
      Transcript.Segment s = r.segments().get(i);
      assertEquals(i, s.id());
      assertTrue(s.start() >= prevEnd && s.end() >= s.start() && s.end() <= 80.0, r.segments().toString());
      prevEnd = s.end();
    }
    assertTrue(r.segments().getLast().start() >= 30.0, "later windows add segments at absolute times: " + r.segments());

    assertTrue(progress.size() >= 3, progress.toString()); // within windows too, from whisper's progress callback
    for (int i = 1; i < progress.size(); i++) {
      assertTrue(progress.get(i) > progress.get(i - 1), progress.toString());
    }
    assertEquals(100, progress.getLast());
    // the first cut falls in the silence at 29.4–29.8 s, so the first window ends at 36–37 %
    assertTrue(progress.stream().anyMatch(p -> p >= 36 && p <= 37), progress.toString());
    assertTrue(progress.stream().noneMatch(p -> p > 37 && p < 38), progress.toString());
  }

  @Test
  void cancelStopsEarlyEvenInsideAWindow() throws Exception {
    List<Integer> progress = new CopyOnWriteArrayList<>();
    int firstWindowEnd;
    try (PcmFile pcm = PcmFile.open(longAudio)) {
      firstWindowEnd = (int) (new EnergyCutter(WINDOW).nextCut(pcm, 0) * 100 / pcm.samples());
    }
    WindowedTranscriber.Result atWindowEnd =
        run(progress::add, () -> !progress.isEmpty() && progress.getLast() >= firstWindowEnd);
    assertTrue(atWindowEnd.aborted());
    assertEquals(1, atWindowEnd.windows());
    assertTrue(atWindowEnd.segments().stream().allMatch(s -> s.end() <= 30.0), atWindowEnd.segments().toString());

    List<Integer> early = new CopyOnWriteArrayList<>();
    WindowedTranscriber.Result inside = run(early::add, () -> !early.isEmpty());
    assertTrue(inside.aborted());
    assertEquals(0, inside.windows(), "the first window's decode was stopped: " + early);

    WindowedTranscriber.Result before = run(p -> {}, () -> true);
    assertTrue(before.aborted());
    assertEquals(0, before.windows());
  }

  private static WindowedTranscriber.Result run(java.util.function.IntConsumer progress,
                                                java.util.function.BooleanSupplier cancelled) throws Exception {
    try (PcmFile pcm = PcmFile.open(longAudio);
         var session = engine.open(model, Duration.ofSeconds(30))) {
      return new WindowedTranscriber(new EnergyCutter(WINDOW)).run(session, pcm, OPTIONS, progress, cancelled);
    }
  }
}
