package earshot.bench;

import earshot.transcribe.WhisperEngine;
import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import java.nio.file.Path;
import java.util.Arrays;

/** The baseline the whisper benchmarks compare against: one plain whisper-jni {@code full()}, and their statistics. */
final class BareWhisperJni {
  private BareWhisperJni() {}

  /** The sampling of whisper-jni's GREEDY params (best_of -1, i.e. one candidate; steps of 0.4), for equal work. */
  static final WhisperEngine.Sampling JNI_GREEDY = new WhisperEngine.Sampling(1, 1, 0f, 0.4f);

  /**
   * Loads a fresh context (not timed), then times one greedy English {@code full()} with print flags off plus the
   * segment reads into {@code out[i]}; returns the segment count.
   */
  static int timedFull(WhisperJNI jni, Path model, float[] samples, int threads, long[] out, int i) throws Exception {
    try (WhisperContext ctx = jni.init(model)) {
      WhisperFullParams p = new WhisperFullParams(WhisperSamplingStrategy.GREEDY);
      p.nThreads = threads;
      p.language = "en";
      p.printSpecial = false;
      p.printProgress = false;
      p.printRealtime = false;
      p.printTimestamps = false;
      long t = System.nanoTime();
      int rc = jni.full(ctx, p, samples, samples.length);
      int n = jni.fullNSegments(ctx);
      for (int s = 0; s < n; s++) {
        jni.fullGetSegmentTimestamp0(ctx, s);
        jni.fullGetSegmentTimestamp1(ctx, s);
        jni.fullGetSegmentText(ctx, s);
      }
      out[i] = System.nanoTime() - t;
      if (rc != 0) {
        throw new IllegalStateException("full() returned " + rc);
      }
      return n;
    }
  }

  static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
  }
}
