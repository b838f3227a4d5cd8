package earshot.bench;

import earshot.audio.AudioDecoder;
import earshot.audio.TestAudio;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Measures AudioDecoder (jave probe + ffmpeg to 16 kHz mono s16le PCM + sample-count check) against the same
 * bundled ffmpeg binary run alone with the same arguments on the same file, so the figure is the overhead of the
 * Java side. Inputs are generated here: N minutes of the TestAudio pattern, encoded to mp3 and ogg/opus.
 *
 * <p>Usage: {@code DecodeBench [minutes=10] [repetitions=7]}. Each repetition runs both, alternating which goes
 * first; one warm-up of each is discarded. Reports medians. Single-threaded and blocking, by design.
 */
public final class DecodeBench {
  private static final double TARGET_RATIO = 1.2;

  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path dir = Files.createTempDirectory("earshot-decode-bench");
    try {
      run(dir, minutes, reps);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private static void run(Path dir, int minutes, int reps) throws IOException {
    AudioDecoder decoder = new AudioDecoder();
    System.out.printf("ffmpeg: %s%n", decoder.ffmpegPath());
    System.out.printf("generating %d min of audio (44.1 kHz mono WAV) and encoding it ...%n", minutes);
    Path wav = TestAudio.writeWav(dir.resolve("source.wav"), minutes * 60.0, 44_100, 1);
    List<Path> inputs = List.of(
        TestAudio.encode(wav, TestAudio.Format.MP3, dir, "long"),
        TestAudio.encode(wav, TestAudio.Format.OGG_OPUS, dir, "long"));
    Files.delete(wav);

    System.out.printf("%n| input | audio | ffmpeg alone (median) | AudioDecoder (median) | ffmpeg × realtime "
        + "| AudioDecoder × realtime | ratio | target ≤ %.1f× |%n|---|---|---|---|---|---|---|---|%n", TARGET_RATIO);
    for (Path input : inputs) {
      Path pcm = dir.resolve("out.pcm");
      double audioSeconds = decoder.decode(input, pcm).durationSeconds(); // warm-up, also the reference length
      ffmpegAlone(decoder, input, pcm);
      double[] alone = new double[reps];
      double[] decoded = new double[reps];
      for (int i = 0; i < reps; i++) {
        if (i % 2 == 0) {
          alone[i] = ffmpegAlone(decoder, input, pcm);
          decoded[i] = timeDecoder(decoder, input, pcm);
        } else {
          decoded[i] = timeDecoder(decoder, input, pcm);
          alone[i] = ffmpegAlone(decoder, input, pcm);
        }
      }
      double a = median(alone);
      double d = median(decoded);
      double ratio = d / a;
      System.out.printf(Locale.ROOT, "| %s | %.0f s | %.0f ms | %.0f ms | %.0f× | %.0f× | %.2f× | %s |%n",
          input.getFileName(), audioSeconds, a * 1000, d * 1000, audioSeconds / a, audioSeconds / d, ratio,
          ratio <= TARGET_RATIO ? "met" : "missed");
      System.out.printf(Locale.ROOT, "  fastest: ffmpeg alone %.0f ms, AudioDecoder %.0f ms, ratio %.2f×%n",
          min(alone) * 1000, min(decoded) * 1000, min(decoded) / min(alone));
      System.out.printf(Locale.ROOT, "  samples ffmpeg alone ms: %s%n  samples AudioDecoder ms: %s%n",
          millis(alone), millis(decoded));
    }
  }

  private static double timeDecoder(AudioDecoder decoder, Path input, Path pcm) {
    long t0 = System.nanoTime();
    decoder.decode(input, pcm);
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * The bundled binary with AudioDecoder's exact arguments, as a plain process whose stdout the OS writes straight
   * into the PCM file (AudioDecoder copies it there itself, counting the bytes); stderr discarded.
   */
  private static double ffmpegAlone(AudioDecoder decoder, Path input, Path pcm) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(decoder.ffmpegPath());
    cmd.addAll(AudioDecoder.ffmpegArguments(input));
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectOutput(pcm.toFile())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      int exit = p.waitFor();
      if (exit != 0) {
        throw new IOException("ffmpeg exited with " + exit);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double min(double[] values) {
    return Arrays.stream(values).min().orElseThrow();
  }

  private static String millis(double[] values) {
    StringBuilder sb = new StringBuilder();
    for (double v : values) {
      sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%.0f", v * 1000));
    }
    return sb.toString();
  }
}
