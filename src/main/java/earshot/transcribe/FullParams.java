package earshot.transcribe;

import static earshot.transcribe.FullParamsLayout.getInt;
import static earshot.transcribe.FullParamsLayout.set;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * Builds the {@code whisper_full_params} one decode passes to {@code whisper_full_with_state}: whisper.cpp's own
 * {@code whisper_full_default_params} for the chosen strategy, with only what the job (or the node) set written over
 * it, so an unset parameter is exactly what whisper.cpp's users get.
 *
 * <p>Threading: pure apart from one native call that only fills a struct; any thread that may block briefly.
 */
final class FullParams {
  private FullParams() {}

  /** The upcall stubs a decode reports through; {@link #NONE} leaves whisper.cpp's null callbacks. */
  record Callbacks(MemorySegment newSegment, MemorySegment progress, MemorySegment abort) {
    static final Callbacks NONE = new Callbacks(MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL);
  }

  /**
   * @param language the language to decode in ("auto" to detect), already resolved against the model
   * @param multilingual whether the model can translate
   * @param tokenTimestamps whether this decode computes token times (words)
   */
  static MemorySegment build(WhisperLibrary lib, Arena call, WhisperEngine.DecodeOptions o, String language,
                             boolean multilingual, boolean tokenTimestamps, Callbacks callbacks) throws Throwable {
    MemorySegment p = sampling(lib, call, o.sampling());
    set(p, "n_threads", threads(o));
    set(p, "language", call.allocateFrom(language));
    set(p, "translate", multilingual && o.translate());
    set(p, "detect_language", false); // true would stop after detection with no segments
    if (o.initialPrompt() != null && !o.initialPrompt().isBlank()) {
      set(p, "initial_prompt", call.allocateFrom(o.initialPrompt()));
    }
    set(p, "token_timestamps", tokenTimestamps);
    if (o.suppressNonSpeechTokens()) { // live passes: no "[Music]", "(laughs)" or "♪" made up from noise
      set(p, "suppress_non_speech_tokens", true);
      set(p, "suppress_blank", true);
    }
    // print_realtime writes to the process's stdout; none of these belong in a server.
    set(p, "print_special", false);
    set(p, "print_progress", false);
    set(p, "print_realtime", false);
    set(p, "print_timestamps", false);
    set(p, "new_segment_callback", callbacks.newSegment());
    set(p, "progress_callback", callbacks.progress());
    set(p, "abort_callback", callbacks.abort());
    return p;
  }

  /** whisper_full_default_params of the sampling's strategy with its set fields written over. */
  static MemorySegment sampling(WhisperLibrary lib, SegmentAllocator call, WhisperEngine.Sampling s)
      throws Throwable {
    boolean beam = s.beamSearch();
    MemorySegment p = defaults(lib, call, beam ? FullParamsLayout.SAMPLING_BEAM_SEARCH
        : FullParamsLayout.SAMPLING_GREEDY);
    if (beam) {
      p.set(JAVA_INT, FullParamsLayout.offset(FullParamsLayout.FULL_PARAMS, "beam_search", "beam_size"),
          s.beamSize());
    }
    if (s.temperature() != null) {
      set(p, "temperature", s.temperature());
    }
    if (s.temperatureInc() != null) {
      set(p, "temperature_inc", s.temperatureInc());
    }
    // The beam-search defaults leave best_of at -1, i.e. one candidate per fallback temperature; like whisper.cpp's
    // own command-line tool, take the greedy default instead, so both strategies retry hard audio alike.
    int bestOf = s.bestOf() != null ? s.bestOf()
        : beam ? getInt(defaults(lib, call, FullParamsLayout.SAMPLING_GREEDY), "greedy", "best_of")
        : getInt(p, "greedy", "best_of");
    p.set(JAVA_INT, FullParamsLayout.offset(FullParamsLayout.FULL_PARAMS, "greedy", "best_of"), bestOf);
    return p;
  }

  static MemorySegment defaults(WhisperLibrary lib, SegmentAllocator call, int strategy) throws Throwable {
    return (MemorySegment) lib.fullDefaultParams.invokeExact(call, strategy);
  }

  static int threads(WhisperEngine.DecodeOptions o) {
    return o.threads() > 0 ? o.threads() : Runtime.getRuntime().availableProcessors();
  }
}
