package earshot.bench;

import earshot.transcribe.EnergyCutter;
import earshot.transcribe.PcmFile;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.TestAudio;
import earshot.transcribe.Transcript;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperFfmEngine;
import earshot.transcribe.WindowedTranscriber;
import io.github.givimad.whisperjni.WhisperJNI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Overhead of the transcribe path against bare whisper-jni. Both sides decode the same audio with the same
 * synthetic model and the same parameters (greedy, English, print flags off), each with a fresh decoder state so
 * that whisper.cpp's sampling RNG starts equal and both do identical work:
 * <ul>
 *   <li>bare: one {@code full()} on a context loaded beforehand (load not timed), then reading the segments;</li>
 *   <li>engine: what the stage does per job with windowing off (window ≥ audio): open the PCM file, take a state
 *   from the shared model, cut, read, {@code fullWithState}, fix times, free the state, build the transcript.</li>
 * </ul>
 * Runs interleave (bare, engine, bare, …) so that load from other processes hits both; the medians are compared.
 */
public final class TranscribeBench {
  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 25;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
    Path dir = Files.createTempDirectory("earshot-transcribe-bench");
    Path model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    float[] audio = TestAudio.tones(seconds, 42);
    Path pcmPath = TestAudio.writePcm(dir.resolve("audio.pcm"), audio);
    float[] samples = readBack(pcmPath); // the same 16-bit-quantised samples the engine reads
    DecodeOptions options = new DecodeOptions("en", false, null, BareWhisperJni.JNI_GREEDY, threads, false);
    System.out.printf(Locale.ROOT, "audio %.0f s, synthetic model %d bytes, threads %d, %d repetitions%n",
        seconds, Files.size(model), threads, reps);

    try (WhisperFfmEngine engine = new WhisperFfmEngine(1, null)) {
      WhisperJNI jni = new WhisperJNI();
      long[] bare = new long[reps];
      long[] path = new long[reps];
      int[] segments = new int[2];
      // warm-up: loads the native library and the shared model, and JIT-compiles both paths once
      segments[1] = engineRun(engine, model, pcmPath, options);
      segments[0] = bareRun(jni, model, samples, threads);
      for (int i = 0; i < reps; i++) {
        long t0 = System.nanoTime();
        int nb = BareWhisperJni.timedFull(jni, model, samples, threads, bare, i);
        long t1 = System.nanoTime();
        path[i] = System.nanoTime();
        int ne = engineRun(engine, model, pcmPath, options);
        path[i] = System.nanoTime() - path[i];
        if (nb != segments[0] || ne != segments[1]) {
          System.out.printf("note: segment counts changed (bare %d, engine %d)%n", nb, ne);
        }
        System.out.printf(Locale.ROOT, "rep %d: bare %.1f ms, engine %.1f ms (wall %.1f ms)%n", i, bare[i] / 1e6,
            path[i] / 1e6, (t1 - t0) / 1e6);
      }
      double b = BareWhisperJni.median(bare) / 1e6;
      double e = BareWhisperJni.median(path) / 1e6;
      System.out.printf(Locale.ROOT, "segments: bare %d, engine %d%n", segments[0], segments[1]);
      System.out.printf(Locale.ROOT, "median bare full(): %.1f ms; median engine path: %.1f ms; ratio %.3f "
          + "(%+.1f %%; target ≤ +5 %%)%n", b, e, e / b, (e / b - 1) * 100);
    }
  }

  private static int engineRun(WhisperFfmEngine engine, Path model, Path pcmPath, DecodeOptions options)
      throws InterruptedException {
    try (PcmFile pcm = PcmFile.open(pcmPath);
         var session = engine.open(model, Duration.ofSeconds(30))) {
      var r = new WindowedTranscriber(new EnergyCutter(30 * PcmFile.SAMPLE_RATE))
          .run(session, pcm, options, p -> {}, () -> false);
      new Transcript(r.text(), r.language(), r.durationSeconds(), r.segments(), "tiny").toJson();
      return r.segments().size();
    }
  }

  private static int bareRun(WhisperJNI jni, Path model, float[] samples, int threads) throws Exception {
    return BareWhisperJni.timedFull(jni, model, samples, threads, new long[1], 0);
  }

  private static float[] readBack(Path pcmPath) {
    try (PcmFile pcm = PcmFile.open(pcmPath)) {
      return pcm.read(0, Math.toIntExact(pcm.samples()));
    }
  }

}
