package earshot.bench;

import earshot.audio.AudioDecoder;
import earshot.config.EarshotConfig;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.TestAudio;
import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.Sampling;
import earshot.transcribe.WhisperFfmEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What issue 11's whisper changes cost and save, on the synthetic model (random weights: every decode fails
 * whisper.cpp's quality checks and takes every fallback, the worst case for the sampling defaults):
 * <ol>
 *   <li>the decoding defaults: one job's transcription time of the same audio with the values used before
 *   (bundled beam 2 or greedy, best_of 1, temperature_inc 0.4) and with whisper.cpp's (greedy, best_of 5,
 *   temperature_inc 0.2), one thread (a single thread does not spin at ggml's barriers, so load from other
 *   processes disturbs the comparison least);</li>
 *   <li>contention: one job's time alone, beside a second job started at the same moment, and beside jave's ffmpeg
 *   decoding an mp3 in a loop, with threads = all cores (before) and threads = cores / transcribe slots (after).
 *   These jobs decode greedily without fallback (temperature_inc 0), so every run does the same work and only the
 *   threads and what runs beside them differ.</li>
 * </ol>
 * Every run opens a fresh decoder state on the shared model (as a job does) and decodes the whole audio in one
 * call; repetitions interleave the variants so that load from other processes hits all of them. Prints the load
 * average before and after, every sample, and medians.
 *
 * <p>Usage: {@code WhisperParamsBench [repetitions=3] [audio seconds for (1)=5] [audio seconds for (2)=60]}.
 */
public final class WhisperParamsBench {
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    double shortSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
    double longSeconds = args.length > 2 ? Double.parseDouble(args[2]) : 60;
    Path dir = Files.createTempDirectory("earshot-whisper-bench");
    Path model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());
    System.out.printf(Locale.ROOT, "cores %d, synthetic model, %d repetitions, load %s%n", CORES, reps,
        loadAverage());
    try (WhisperFfmEngine engine = new WhisperFfmEngine(2, null, false)) {
      defaults(engine, model, TestAudio.tones(shortSeconds, 42), reps);
      contention(engine, model, TestAudio.tones(longSeconds, 43), reps, mp3(dir));
    }
    System.out.printf("load after: %s%n", loadAverage());
  }

  private static void defaults(WhisperFfmEngine engine, Path model, float[] audio, int reps) throws Exception {
    Map<String, Sampling> variants = new LinkedHashMap<>();
    variants.put("before, bundled (beam 2, best_of 1, temperature_inc 0.4)", new Sampling(2, 1, 0f, 0.4f));
    variants.put("before, greedy (best_of 1, temperature_inc 0.4)", new Sampling(1, 1, 0f, 0.4f));
    variants.put("now: whisper.cpp's (greedy, best_of 5, temperature_inc 0.2)", new Sampling(1, null, null, null));
    Map<String, double[]> times = new LinkedHashMap<>();
    variants.forEach((name, s) -> times.put(name, new double[reps]));
    job(engine, model, audio, options(variants.values().iterator().next(), 1)); // warm-up: loads the model
    for (int i = 0; i < reps; i++) {
      for (var v : variants.entrySet()) {
        times.get(v.getKey())[i] = job(engine, model, audio, options(v.getValue(), 1));
      }
    }
    System.out.printf(Locale.ROOT, "%n(a) decoding defaults, %.0f s of audio, 1 thread%n"
        + "| sampling | runs (s) | median | spread | × before-bundled |%n|---|---|---|---|---|%n",
        audio.length / 16000.0);
    double base = median(times.values().iterator().next());
    times.forEach((name, t) -> System.out.printf(Locale.ROOT, "| %s | %s | %.2f s | %s | %.2f× |%n", name, list(t),
        median(t), spread(t), median(t) / base));
  }

  private static void contention(WhisperFfmEngine engine, Path model, float[] audio, int reps, Path mp3)
      throws Exception {
    Sampling sampling = new Sampling(1, 1, 0f, 0f);
    int shared = EarshotConfig.Whisper.threadsPerJob(0, CORES, 2);
    record Row(String name, int threads, String beside) {}
    List<Row> rows = List.of(
        new Row("alone", CORES, "nothing"),
        new Row("alone", shared, "nothing"),
        new Row("second job (2 slots), before: all cores", CORES, "job"),
        new Row("second job (2 slots), after: cores / slots", shared, "job"),
        new Row("ffmpeg decoding, 1 slot: all cores (before = after)", CORES, "ffmpeg"),
        new Row("ffmpeg decoding, WHISPER_THREADS=cores-1", Math.max(1, CORES - 1), "ffmpeg"));
    Map<Row, double[]> times = new LinkedHashMap<>();
    rows.forEach(r -> times.put(r, new double[reps]));
    AudioDecoder decoder = new AudioDecoder();
    ExecutorService pool = Executors.newCachedThreadPool();
    try {
      for (int i = 0; i < reps; i++) {
        for (Row r : rows) {
          DecodeOptions o = options(sampling, r.threads());
          times.get(r)[i] = switch (r.beside()) {
            case "job" -> besideSecondJob(engine, model, audio, o, pool);
            case "ffmpeg" -> besideDecoding(engine, model, audio, o, pool, decoder, mp3);
            default -> job(engine, model, audio, o);
          };
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf(Locale.ROOT, "%n(b) one job's transcription time, %.0f s of audio, greedy without fallback%n"
        + "| beside it | threads per job | runs (s) | median | spread | × alone, all cores |%n"
        + "|---|---|---|---|---|---|%n", audio.length / 16000.0);
    double base = median(times.get(rows.getFirst()));
    times.forEach((r, t) -> System.out.printf(Locale.ROOT, "| %s | %d | %s | %.2f s | %s | %.2f× |%n", r.name(),
        r.threads(), list(t), median(t), spread(t), median(t) / base));
  }

  /** Two jobs released together; the time is the first one's, the second keeps the cores busy meanwhile. */
  private static double besideSecondJob(WhisperFfmEngine engine, Path model, float[] audio, DecodeOptions o,
                                        ExecutorService pool) throws Exception {
    CyclicBarrier together = new CyclicBarrier(2);
    Future<Double> other = pool.submit(() -> {
      together.await();
      return job(engine, model, audio, o);
    });
    together.await();
    double t = job(engine, model, audio, o);
    other.get();
    return t;
  }

  /** jave's ffmpeg decodes an mp3 to PCM over and over while the job runs, as a CPU runner's convert stage does. */
  private static double besideDecoding(WhisperFfmEngine engine, Path model, float[] audio, DecodeOptions o,
                                       ExecutorService pool, AudioDecoder decoder, Path mp3) throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    Future<?> busy = pool.submit(() -> {
      while (running.get()) {
        decoder.decode(mp3, mp3.resolveSibling("busy.pcm"));
      }
      return null;
    });
    try {
      return job(engine, model, audio, o);
    } finally {
      running.set(false);
      busy.get();
    }
  }

  /** Seconds for one job: a fresh state on the shared model and one decode of the whole audio. */
  private static double job(WhisperFfmEngine engine, Path model, float[] audio, DecodeOptions o) throws Exception {
    long t = System.nanoTime();
    try (var session = engine.open(model, Duration.ofMinutes(5))) {
      if (session.transcribe(audio, o).segments().isEmpty()) {
        throw new IllegalStateException("no segments");
      }
    }
    return (System.nanoTime() - t) / 1e9;
  }

  private static DecodeOptions options(Sampling s, int threads) {
    return new DecodeOptions("en", false, null, s, threads, false);
  }

  /** Two minutes of the decode benchmark's test pattern as mp3: long enough that a decode spans seconds. */
  private static Path mp3(Path dir) throws Exception {
    Path wav = earshot.audio.TestAudio.writeWav(dir.resolve("busy.wav"), 120, 44_100, 1);
    Path mp3 = earshot.audio.TestAudio.encode(wav, earshot.audio.TestAudio.Format.MP3, dir, "busy");
    Files.delete(wav);
    return mp3;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** max / min, the spread of the repetitions. */
  private static String spread(double[] v) {
    double min = Arrays.stream(v).min().orElse(0);
    double max = Arrays.stream(v).max().orElse(0);
    return String.format(Locale.ROOT, "%.1f×", max / min);
  }

  private static String list(double[] v) {
    List<String> out = new ArrayList<>();
    for (double d : v) {
      out.add(String.format(Locale.ROOT, "%.2f", d));
    }
    return String.join(", ", out);
  }
}
