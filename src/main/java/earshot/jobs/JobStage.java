package earshot.jobs;

import java.util.Locale;

/** The audio pipeline's stages, in the order they run. A job's {@code job_type} is its current stage. */
public enum JobStage {
  AUDIO_DOWNLOAD, AUDIO_CONVERT, AUDIO_TRANSCRIBE, AUDIO_CHUNK, AUDIO_ANALYZE, AUDIO_STORE;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static JobStage fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
