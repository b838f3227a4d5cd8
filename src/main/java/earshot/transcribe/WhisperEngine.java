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
   * @throws earshot.jobs.PermanentStageException when the model file is invalid
   * @throws earshot.jobs.RetryableStageException when no state became free in time or whisper.cpp failed
   */
  Session open(Path modelFile, Duration wait) throws InterruptedException;

  /**
   * Opens a session for one live-stream decode pass: it takes a decoder state ahead of batch jobs waiting for one.
   * Engines without lanes open an ordinary session.
   */
  default Session openLive(Path modelFile, Duration wait) throws InterruptedException {
    return open(modelFile, wait);
  }

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

    /**
     * Like {@link #transcribe(float[], DecodeOptions)}, and tells {@code listener} about progress and each segment
     * while whisper.cpp decodes; {@link Listener#cancelled()} stops a running decode. An engine that cannot report
     * or stop from inside a decode reports once at the end.
     */
    default Result transcribe(float[] samples, DecodeOptions options, Listener listener) {
      if (listener.cancelled()) {
        return new Result(List.of(), null, null, true);
      }
      Result r = transcribe(samples, options);
      r.segments().forEach(listener::segment);
      listener.progress(100);
      return r;
    }

    /**
     * Between two windows of a batch job: gives the decoder state to live passes that are waiting for one, and
     * takes one back behind them. A no-op when none waits, and for engines without lanes.
     */
    default void yieldToLive() throws InterruptedException {}

    /** Frees the state and gives its slot back. */
    @Override
    void close();
  }

  /**
   * Decoding parameters, named as in whisper.cpp's {@code whisper_full_params}.
   *
   * @param language ISO-639-1 code, or "auto" to detect it
   * @param sampling the strategy and the temperature fallback; unset parts are whisper.cpp's defaults
   * @param threads whisper.cpp threads for this decode; 0 means all available processors
   */
  record DecodeOptions(String language, boolean translate, String initialPrompt, Sampling sampling, int threads,
                       boolean wordTimestamps, boolean suppressNonSpeechTokens) {
    public DecodeOptions {
      sampling = sampling == null ? Sampling.DEFAULTS : sampling;
    }

    /** whisper.cpp's default {@code suppress_non_speech_tokens} (false): what batch jobs decode with. */
    public DecodeOptions(String language, boolean translate, String initialPrompt, Sampling sampling, int threads,
                         boolean wordTimestamps) {
      this(language, translate, initialPrompt, sampling, threads, wordTimestamps, false);
    }

    /** The same options in another language (e.g. the one the first window detected). */
    public DecodeOptions withLanguage(String other) {
      return new DecodeOptions(other, translate, initialPrompt, sampling, threads, wordTimestamps,
          suppressNonSpeechTokens);
    }
  }

  /**
   * How whisper.cpp picks tokens, named as in {@code whisper_full_params}; a null field means "not set here": a job's
   * unset fields take the node's ({@link #orElse}), and what is still unset is whisper.cpp's own default, read from
   * {@code whisper_full_default_params} when the decode starts.
   *
   * @param beamSize greater than 1 selects {@code WHISPER_SAMPLING_BEAM_SEARCH} with that many beams; 1 or null
   *     selects {@code WHISPER_SAMPLING_GREEDY}
   * @param bestOf candidates sampled at each fallback temperature above 0 ({@code greedy.best_of})
   * @param temperature the first decode's temperature
   * @param temperatureInc the step by which a failed decode's temperature rises up to 1.0; 0 turns the fallback off
   */
  record Sampling(Integer beamSize, Integer bestOf, Float temperature, Float temperatureInc) {
    /**
     * whisper.cpp's {@code WHISPER_MAX_DECODERS}: a decode with more beams or candidates fails with code -4, so
     * beam_size and best_of are capped here.
     */
    public static final int MAX_DECODERS = 8;
    public static final Sampling DEFAULTS = new Sampling(null, null, null, null);

    public boolean beamSearch() {
      return beamSize != null && beamSize > 1;
    }

    /** This sampling's fields where set, {@code base}'s otherwise. */
    public Sampling orElse(Sampling base) {
      return new Sampling(beamSize != null ? beamSize : base.beamSize, bestOf != null ? bestOf : base.bestOf,
          temperature != null ? temperature : base.temperature,
          temperatureInc != null ? temperatureInc : base.temperatureInc);
    }
  }

  /**
   * What a decode sees from inside whisper.cpp. Called on the decoding thread, except {@link #cancelled()}, which
   * whisper.cpp may also poll from its compute threads; implementations must be quick and must not throw.
   */
  interface Listener {
    /** 0–100 within this call; never falls. */
    default void progress(int percent) {}

    /** A segment as soon as whisper.cpp finished it, with times relative to the samples passed in. */
    default void segment(RawSegment segment) {}

    /** True stops the running decode within about a second; the result is then marked aborted. */
    default boolean cancelled() {
      return false;
    }
  }

  Listener NO_LISTENER = new Listener() {};

  /**
   * @param language the language whisper.cpp used (detected, when "auto" was asked and it told us)
   * @param languageProbability the probability whisper.cpp gave the detected language; null when not detected
   * @param aborted true when {@link Listener#cancelled()} stopped the decode; segments are then incomplete
   */
  record Result(List<RawSegment> segments, String language, Double languageProbability, boolean aborted) {
    public Result(List<RawSegment> segments, String language) {
      this(segments, language, null, false);
    }
  }

  /**
   * Times in milliseconds from the start of the samples passed in.
   *
   * @param words the words with their times and probabilities, empty when the engine has no token data
   * @param noSpeechProb whisper.cpp's no-speech probability, null where the library does not export it
   * @param tokens the segment's token ids as whisper.cpp produced them (text and timestamp tokens), empty when the
   *     engine has no token data
   * @param avgLogprob the mean log probability of those tokens, null when there are none
   */
  record RawSegment(long startMs, long endMs, String text, List<Word> words, Double noSpeechProb,
                    List<Integer> tokens, Double avgLogprob) {
    public RawSegment(long startMs, long endMs, String text) {
      this(startMs, endMs, text, List.of(), null);
    }

    public RawSegment(long startMs, long endMs, String text, List<Word> words, Double noSpeechProb) {
      this(startMs, endMs, text, words, noSpeechProb, List.of(), null);
    }
  }

  /** A word assembled from whisper.cpp tokens: times in ms like its segment, probability the mean token p. */
  record Word(String word, long startMs, long endMs, double probability) {}
}
