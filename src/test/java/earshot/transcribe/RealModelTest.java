package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import earshot.transcribe.WhisperEngine.DecodeOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs only when {@code EARSHOT_TEST_MODEL} points at a real ggml model (e.g. models/ggml-tiny.en.bin from
 * {@code scripts/download-model.sh tiny.en}); the speech test also needs {@code espeak-ng} on the PATH.
 */
class RealModelTest {
  private static final String SENTENCE = "hello world, this is a test of the transcription server";

  @TempDir
  static Path dir;
  static Path model;
  static WhisperFfmEngine engine;

  @BeforeEach
  void requireModel() {
    if (engine != null) {
      return;
    }
    String configured = System.getenv("EARSHOT_TEST_MODEL");
    assumeTrue(configured != null && !configured.isBlank(),
        "EARSHOT_TEST_MODEL is not set: skipping the real-model tests (set it to a ggml model file to run them)");
    model = Path.of(configured);
    assumeTrue(Files.isRegularFile(model), "EARSHOT_TEST_MODEL=" + configured + " is not a file: skipping");
    engine = new WhisperFfmEngine(1, null);
  }

  @AfterAll
  static void tearDown() {
    if (engine != null) {
      engine.close();
    }
  }

  @Test
  void theRealModelPassesValidationAndTranscribesToneAudio() throws Exception {
    ModelValidator.Summary summary = ModelValidator.validate(model);
    assertTrue(summary.tensors() > 0);
    try (var session = engine.open(model, Duration.ofSeconds(30))) {
      var r = session.transcribe(TestAudio.tones(5, 1), new DecodeOptions("en", false, null, WhisperEngine.Sampling.DEFAULTS, 0, true));
      WhisperFfmEngineTest.assertSane(r.segments(), 5_000);
    }
  }

  @Test
  void recognisesSynthesisedSpeech() throws Exception {
    Path wav = dir.resolve("speech.wav");
    Process espeak;
    try {
      espeak = new ProcessBuilder("espeak-ng", "-v", "en-us", "-w", wav.toString(), SENTENCE)
          .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "espeak-ng is not installed: skipping the speech test");
      return;
    }
    assertTrue(espeak.waitFor(60, TimeUnit.SECONDS) && espeak.exitValue() == 0, "espeak-ng failed");
    float[] speech = resampleTo16k(wav);
    Path pcm = TestAudio.writePcm(dir.resolve("speech.pcm"), speech);
    try (PcmFile file = PcmFile.open(pcm);
         var session = engine.open(model, Duration.ofSeconds(30))) {
      var r = new WindowedTranscriber(new EnergyCutter(30 * PcmFile.SAMPLE_RATE))
          .run(session, file, new DecodeOptions("en", false, null, WhisperEngine.Sampling.DEFAULTS, 0, true), p -> {}, () -> false);
      String text = r.text().toLowerCase(Locale.ROOT);
      assertFalse(r.segments().isEmpty());
      assertTrue(text.contains("hello") && text.contains("test"), "heard: " + text);
      assertEquals(1, r.windows());
    }
  }

  /** espeak-ng writes 22050 Hz mono s16 WAV; whisper wants 16 kHz. Linear interpolation is enough for a test. */
  private static float[] resampleTo16k(Path wav) throws Exception {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(wav)).order(ByteOrder.LITTLE_ENDIAN);
    int rate = b.getInt(24);
    int pos = 12;
    while (b.getInt(pos) != 0x61746164) { // "data"
      pos += 8 + b.getInt(pos + 4);
    }
    int n = Math.min(b.getInt(pos + 4) & 0x7fffffff, b.limit() - pos - 8) / 2;
    float[] in = new float[n];
    for (int i = 0; i < n; i++) {
      in[i] = b.getShort(pos + 8 + 2 * i) / 32768f;
    }
    int outLen = (int) ((long) n * PcmFile.SAMPLE_RATE / rate);
    float[] out = new float[outLen];
    for (int i = 0; i < outLen; i++) {
      double x = i * (double) rate / PcmFile.SAMPLE_RATE;
      int k = (int) x;
      double f = x - k;
      out[i] = (float) (in[k] * (1 - f) + (k + 1 < n ? in[k + 1] : 0) * f);
    }
    return out;
  }
}
