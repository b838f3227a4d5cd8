package earshot.config;

import earshot.transcribe.WhisperEngine.Sampling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Reads {@code audio.whisper}: threads per job, windowing, the node's decoding defaults, state cap and library
 * directory. A decoding default left null (the bundled value) is whisper.cpp's own, taken from
 * {@code whisper_full_default_params} when a decode starts; beam_size and best_of stop at whisper.cpp's
 * {@code WHISPER_MAX_DECODERS}, above which every decode would fail.
 */
final class WhisperSettings {
  private WhisperSettings() {}

  static EarshotConfig.Whisper read(ConfigReader r, int transcribeSlots) {
    Double temperature = r.optionalNumberIn("audio.whisper.temperature", 0, 1);
    Double temperatureInc = r.optionalNumberIn("audio.whisper.temperature_inc", 0, 1);
    Sampling sampling = new Sampling(
        r.optionalIntIn("audio.whisper.beam_size", 1, Sampling.MAX_DECODERS),
        r.optionalIntIn("audio.whisper.best_of", 1, Sampling.MAX_DECODERS),
        temperature == null ? null : temperature.floatValue(),
        temperatureInc == null ? null : temperatureInc.floatValue());
    int threads = EarshotConfig.Whisper.threadsPerJob(r.intIn("audio.whisper.threads", 0, 256),
        Runtime.getRuntime().availableProcessors(), transcribeSlots);
    return new EarshotConfig.Whisper(threads,
        Duration.ofSeconds(r.intIn("audio.whisper.window_seconds", 30, 3600)),
        sampling,
        r.intIn("audio.whisper.max_states", 1, 8),
        libraryDir(r.optionalString("audio.whisper.library_dir")));
  }

  /** Null selects whisper-jni's bundled CPU libraries; a directory must exist and hold libwhisper.so.1. */
  private static Path libraryDir(String dir) {
    if (dir == null) {
      return null;
    }
    Path p = Path.of(dir).toAbsolutePath().normalize();
    if (!Files.isRegularFile(p.resolve("libwhisper.so.1"))) {
      throw new ConfigException("audio.whisper.library_dir", "no libwhisper.so.1 in " + p);
    }
    return p;
  }
}
