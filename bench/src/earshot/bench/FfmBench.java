package earshot.bench;

import earshot.transcribe.SyntheticModel;
import earshot.transcribe.TestAudio;
import earshot.transcribe.WhisperEngine;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperFfmEngine;
import io.github.givimad.whisperjni.WhisperJNI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * The FFM binding against whisper-jni on the same work: the same libwhisper.so.1 (the one whisper-jni extracts), the
 * same synthetic model, audio and parameters (greedy, en, fallback step 0.4 with one decoder, print flags off), each
 * run on a fresh decoder state so whisper.cpp's sampling RNG starts equal:
 * <ul>
 *   <li>jni: {@code WhisperJNI.full()} on a context loaded beforehand (not timed), then reading the segments;</li>
 *   <li>ffm: {@code Session.transcribe} of {@link WhisperFfmEngine} on a state opened beforehand (not timed):
 *   params built through the layout, samples copied to native memory, {@code whisper_full_with_state} with the
 *   progress, abort and new-segment callbacks installed, segments read in the new-segment callback;</li>
 *   <li>ffm+words: the same with {@code token_timestamps} on and words assembled from token data.</li>
 * </ul>
 * Runs interleave (jni, ffm, ffm+words, …) after one warm-up each; medians are compared.
 */
public final class FfmBench {
  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 25;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Path dir = Files.createTempDirectory("earshot-ffm-bench");
    Path model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    float[] samples = TestAudio.tones(seconds, 42);
    DecodeOptions options = new DecodeOptions("en", false, null, BareWhisperJni.JNI_GREEDY, threads, true);
    System.out.printf(Locale.ROOT, "audio %.0f s, synthetic model %d bytes, threads %d, %d repetitions%n",
        seconds, Files.size(model), threads, reps);
    try (WhisperFfmEngine plain = new WhisperFfmEngine(2, null, false);
         WhisperFfmEngine words = new WhisperFfmEngine(2, null, true)) {
      System.out.println("library " + plain.library().path() + ": " + plain.library().systemInfo());
      WhisperJNI jni = new WhisperJNI();
      long[] tJni = new long[reps];
      long[] tFfm = new long[reps];
      long[] tWords = new long[reps];
      int[] n = {BareWhisperJni.timedFull(jni, model, samples, threads, new long[1], 0),
          ffm(plain, model, samples, options, new long[1], 0),
          ffm(words, model, samples, options, new long[1], 0)};
      for (int i = 0; i < reps; i++) {
        int a = BareWhisperJni.timedFull(jni, model, samples, threads, tJni, i);
        int b = ffm(plain, model, samples, options, tFfm, i);
        int c = ffm(words, model, samples, options, tWords, i);
        if (a != n[0] || b != n[1] || c != n[2]) {
          System.out.printf("note: segment counts changed (%d, %d, %d)%n", a, b, c);
        }
        System.out.printf(Locale.ROOT, "rep %d: jni %.1f ms, ffm %.1f ms, ffm+words %.1f ms%n", i, tJni[i] / 1e6,
            tFfm[i] / 1e6, tWords[i] / 1e6);
      }
      double j = BareWhisperJni.median(tJni) / 1e6;
      double f = BareWhisperJni.median(tFfm) / 1e6;
      double w = BareWhisperJni.median(tWords) / 1e6;
      System.out.printf(Locale.ROOT, "segments: jni %d, ffm %d, ffm+words %d%n", n[0], n[1], n[2]);
      System.out.printf(Locale.ROOT, "median jni full(): %.1f ms (%.1f–%.1f); ffm: %.1f ms (%.1f–%.1f); "
              + "ffm+words: %.1f ms (%.1f–%.1f)%n", j, min(tJni), max(tJni), f, min(tFfm), max(tFfm), w,
          min(tWords), max(tWords));
      System.out.printf(Locale.ROOT, "ratio ffm/jni %.3f (target ≤ 1.02); ffm+words/jni %.3f%n", f / j, w / j);
    }
  }

  private static int ffm(WhisperFfmEngine engine, Path model, float[] samples, DecodeOptions options, long[] out,
                         int i) throws InterruptedException {
    try (WhisperEngine.Session session = engine.open(model, Duration.ofSeconds(30))) {
      long t = System.nanoTime();
      var r = session.transcribe(samples, options, new WhisperEngine.Listener() {});
      out[i] = System.nanoTime() - t;
      return r.segments().size();
    }
  }


  private static double min(long[] v) {
    return Arrays.stream(v).min().orElse(0) / 1e6;
  }

  private static double max(long[] v) {
    return Arrays.stream(v).max().orElse(0) / 1e6;
  }
}
