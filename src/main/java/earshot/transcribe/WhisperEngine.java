package earshot.transcribe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whisper.cpp binding as the transcribe stage sees it: a model is loaded once per node and shared; each job
 * opens a {@link Session} (its own decoder state) and runs it window by window.
 *
 * <p>Threading: every method blocks (native calls, file I/O) and must run on a worker thread, never an event loop.
 * An engine is shared by all jobs of a node; a session belongs to one job.
 */
public interface WhisperEngine extends AutoCloseable {

  /**
   * Opens a session on {@code modelFile}, loading and validating the model on first use.
   *
   * @param wait how long to wait for a free decoder state when all are in use
   * @throws earshot.pipeline.PermanentStageException when the model file is invalid
   * @throws earshot.pipeline.RetryableStageException when no state became free in time or whisper.cpp failed
   */
  Session open(Path modelFile, Duration wait) throws InterruptedException;

  /** Frees every loaded model; sessions must be closed first. */
  @Override
  void close();

  /** One job's decoder state. Not thread-safe: one window at a time. */
  interface Session extends AutoCloseable {
    /** True when the model knows more languages than English (and can translate). */
    boolean multilingual();

    /**
     * Transcribes {@code samples} (16 kHz mono, [-1, 1]) and returns segments with times relative to the first
     * sample. Audio shorter than about one second yields no segments.
     */
    Result transcribe(float[] samples, DecodeOptions options);

    /** Frees the state and gives its slot back. */
    @Override
    void close();
  }

  /**
   * Decoding parameters, named as in whisper.cpp's {@code whisper_full_params}.
   *
   * @param language ISO-639-1 code, or "auto" to detect it
   * @param beamSize beam search when greater than 1, greedy otherwise
   * @param threads 0 means all available processors
   */
  record DecodeOptions(String language, boolean translate, String initialPrompt, float temperature, int beamSize,
                       int threads) {}

  /** @param language the language whisper.cpp used (detected, when "auto" was asked and it told us) */
  record Result(List<RawSegment> segments, String language) {}

  /** Times in milliseconds from the start of the samples passed in. */
  record RawSegment(long startMs, long endMs, String text) {}
}
