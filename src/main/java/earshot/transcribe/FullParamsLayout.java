package earshot.transcribe;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The C structs of whisper.h (whisper.cpp 1.7.1, x86-64/aarch64 System V ABI) that Earshot passes by value, and the
 * self-test that proves them against the library before any call that depends on them. Field names are the C names.
 * The self-test reads {@code whisper_context_default_params()} and {@code whisper_full_default_params()} through
 * these layouts and compares every field it can with the defaults in whisper.cpp 1.7.1's source: one field out of
 * place (an added or reordered member in another release) shows up as wrong values at fields after it, and the
 * library is refused before {@code whisper_full} could read garbage pointers.
 *
 * <p>Threading: the layouts are immutable constants; {@link #selfTest} runs once, inside the library load.
 */
final class FullParamsLayout {
  private FullParamsLayout() {}

  static final int SAMPLING_GREEDY = 0;
  static final int SAMPLING_BEAM_SEARCH = 1;

  static final StructLayout CONTEXT_PARAMS = structLayout(
      JAVA_BOOLEAN.withName("use_gpu"),
      JAVA_BOOLEAN.withName("flash_attn"),
      paddingLayout(2),
      JAVA_INT.withName("gpu_device"),
      JAVA_BOOLEAN.withName("dtw_token_timestamps"),
      paddingLayout(3),
      JAVA_INT.withName("dtw_aheads_preset"),
      JAVA_INT.withName("dtw_n_top"),
      paddingLayout(4),
      structLayout(JAVA_LONG.withName("n_heads"), ADDRESS.withName("heads")).withName("dtw_aheads"),
      JAVA_LONG.withName("dtw_mem_size")).withName("whisper_context_params");

  static final StructLayout TOKEN_DATA = structLayout(
      JAVA_INT.withName("id"),
      JAVA_INT.withName("tid"),
      JAVA_FLOAT.withName("p"),
      JAVA_FLOAT.withName("plog"),
      JAVA_FLOAT.withName("pt"),
      JAVA_FLOAT.withName("ptsum"),
      JAVA_LONG.withName("t0"),
      JAVA_LONG.withName("t1"),
      JAVA_LONG.withName("t_dtw"),
      JAVA_FLOAT.withName("vlen"),
      paddingLayout(4)).withName("whisper_token_data");

  static final StructLayout FULL_PARAMS = structLayout(
      JAVA_INT.withName("strategy"),
      JAVA_INT.withName("n_threads"),
      JAVA_INT.withName("n_max_text_ctx"),
      JAVA_INT.withName("offset_ms"),
      JAVA_INT.withName("duration_ms"),
      JAVA_BOOLEAN.withName("translate"),
      JAVA_BOOLEAN.withName("no_context"),
      JAVA_BOOLEAN.withName("no_timestamps"),
      JAVA_BOOLEAN.withName("single_segment"),
      JAVA_BOOLEAN.withName("print_special"),
      JAVA_BOOLEAN.withName("print_progress"),
      JAVA_BOOLEAN.withName("print_realtime"),
      JAVA_BOOLEAN.withName("print_timestamps"),
      JAVA_BOOLEAN.withName("token_timestamps"),
      paddingLayout(3),
      JAVA_FLOAT.withName("thold_pt"),
      JAVA_FLOAT.withName("thold_ptsum"),
      JAVA_INT.withName("max_len"),
      JAVA_BOOLEAN.withName("split_on_word"),
      paddingLayout(3),
      JAVA_INT.withName("max_tokens"),
      JAVA_BOOLEAN.withName("debug_mode"),
      paddingLayout(3),
      JAVA_INT.withName("audio_ctx"),
      JAVA_BOOLEAN.withName("tdrz_enable"),
      paddingLayout(3),
      ADDRESS.withName("suppress_regex"),
      ADDRESS.withName("initial_prompt"),
      ADDRESS.withName("prompt_tokens"),
      JAVA_INT.withName("prompt_n_tokens"),
      paddingLayout(4),
      ADDRESS.withName("language"),
      JAVA_BOOLEAN.withName("detect_language"),
      JAVA_BOOLEAN.withName("suppress_blank"),
      JAVA_BOOLEAN.withName("suppress_non_speech_tokens"),
      paddingLayout(1),
      JAVA_FLOAT.withName("temperature"),
      JAVA_FLOAT.withName("max_initial_ts"),
      JAVA_FLOAT.withName("length_penalty"),
      JAVA_FLOAT.withName("temperature_inc"),
      JAVA_FLOAT.withName("entropy_thold"),
      JAVA_FLOAT.withName("logprob_thold"),
      JAVA_FLOAT.withName("no_speech_thold"),
      structLayout(JAVA_INT.withName("best_of")).withName("greedy"),
      structLayout(JAVA_INT.withName("beam_size"), JAVA_FLOAT.withName("patience")).withName("beam_search"),
      paddingLayout(4),
      ADDRESS.withName("new_segment_callback"),
      ADDRESS.withName("new_segment_callback_user_data"),
      ADDRESS.withName("progress_callback"),
      ADDRESS.withName("progress_callback_user_data"),
      ADDRESS.withName("encoder_begin_callback"),
      ADDRESS.withName("encoder_begin_callback_user_data"),
      ADDRESS.withName("abort_callback"),
      ADDRESS.withName("abort_callback_user_data"),
      ADDRESS.withName("logits_filter_callback"),
      ADDRESS.withName("logits_filter_callback_user_data"),
      ADDRESS.withName("grammar_rules"),
      JAVA_LONG.withName("n_grammar_rules"),
      JAVA_LONG.withName("i_start_rule"),
      JAVA_FLOAT.withName("grammar_penalty"),
      paddingLayout(4)).withName("whisper_full_params");

  /** Byte offset of a (possibly nested) field, e.g. {@code offset(FULL_PARAMS, "beam_search", "beam_size")}. */
  static long offset(StructLayout layout, String... path) {
    return layout.byteOffset(java.util.Arrays.stream(path).map(PathElement::groupElement)
        .toArray(PathElement[]::new));
  }

  static int getInt(MemorySegment s, String... path) {
    return s.get(JAVA_INT, offset(FULL_PARAMS, path));
  }

  static float getFloat(MemorySegment s, String... path) {
    return s.get(JAVA_FLOAT, offset(FULL_PARAMS, path));
  }

  static boolean getBool(MemorySegment s, String field) {
    return s.get(JAVA_BOOLEAN, offset(FULL_PARAMS, field));
  }

  static MemorySegment getAddress(MemorySegment s, String field) {
    return s.get(ADDRESS, offset(FULL_PARAMS, field));
  }

  static void set(MemorySegment s, String field, int v) {
    s.set(JAVA_INT, offset(FULL_PARAMS, field), v);
  }

  static void set(MemorySegment s, String field, float v) {
    s.set(JAVA_FLOAT, offset(FULL_PARAMS, field), v);
  }

  static void set(MemorySegment s, String field, boolean v) {
    s.set(JAVA_BOOLEAN, offset(FULL_PARAMS, field), v);
  }

  static void set(MemorySegment s, String field, MemorySegment v) {
    s.set(ADDRESS, offset(FULL_PARAMS, field), v);
  }

  /**
   * Compares the library's defaults, read through these layouts, with whisper.cpp 1.7.1's source and refuses the
   * library on any difference. Nothing here follows a pointer except {@code language}, which the source sets to
   * the literal "en"; it is read only after the fields around it matched.
   *
   * @throws IllegalStateException naming every field that differs
   */
  static void selfTest(WhisperLibrary lib) {
    List<String> wrong;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment c = (MemorySegment) lib.contextDefaultParams.invokeExact((SegmentAllocator) arena);
      MemorySegment greedy = (MemorySegment) lib.fullDefaultParams.invokeExact((SegmentAllocator) arena,
          SAMPLING_GREEDY);
      MemorySegment beam = (MemorySegment) lib.fullDefaultParams.invokeExact((SegmentAllocator) arena,
          SAMPLING_BEAM_SEARCH);
      wrong = differences(c, greedy, beam);
    } catch (Throwable e) {
      throw new IllegalStateException("whisper layout self-test could not call the library: " + e, e);
    }
    if (!wrong.isEmpty()) {
      throw new IllegalStateException("whisper library " + lib.path + " does not match the whisper.cpp 1.7.1 "
          + "struct layouts this binding uses; refusing to start. Differences: " + String.join("; ", wrong));
    }
  }

  /**
   * Every field of the three default structs that differs from whisper.cpp 1.7.1's defaults, as
   * {@code "name=actual (expected value)"}; empty when the layouts match.
   */
  static List<String> differences(MemorySegment c, MemorySegment greedy, MemorySegment beam) {
    List<String> wrong = new ArrayList<>();
    expect(wrong, "use_gpu", c.get(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "use_gpu")), true);
    expect(wrong, "flash_attn", c.get(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "flash_attn")), false);
    expect(wrong, "gpu_device", c.get(JAVA_INT, offset(CONTEXT_PARAMS, "gpu_device")), 0);
    expect(wrong, "dtw_token_timestamps", c.get(JAVA_BOOLEAN, offset(CONTEXT_PARAMS, "dtw_token_timestamps")),
        false);
    expect(wrong, "dtw_aheads_preset", c.get(JAVA_INT, offset(CONTEXT_PARAMS, "dtw_aheads_preset")), 0);
    expect(wrong, "dtw_n_top", c.get(JAVA_INT, offset(CONTEXT_PARAMS, "dtw_n_top")), -1);
    expect(wrong, "dtw_aheads.n_heads", c.get(JAVA_LONG, offset(CONTEXT_PARAMS, "dtw_aheads", "n_heads")), 0L);
    expect(wrong, "dtw_mem_size", c.get(JAVA_LONG, offset(CONTEXT_PARAMS, "dtw_mem_size")), 128L << 20);
    checkFull(wrong, greedy, SAMPLING_GREEDY);
    checkFull(wrong, beam, SAMPLING_BEAM_SEARCH);
    return wrong;
  }

  private static void checkFull(List<String> wrong, MemorySegment p, int strategy) {
    String s = strategy == SAMPLING_GREEDY ? "greedy: " : "beam_search: ";
    int hw = Runtime.getRuntime().availableProcessors();
    expect(wrong, s + "strategy", getInt(p, "strategy"), strategy);
    int threads = getInt(p, "n_threads");
    if (threads < 1 || threads > Math.max(4, hw)) {
      wrong.add(s + "n_threads=" + threads);
    }
    expect(wrong, s + "n_max_text_ctx", getInt(p, "n_max_text_ctx"), 16384);
    expect(wrong, s + "offset_ms", getInt(p, "offset_ms"), 0);
    expect(wrong, s + "duration_ms", getInt(p, "duration_ms"), 0);
    expect(wrong, s + "no_context", getBool(p, "no_context"), true);
    expect(wrong, s + "print_timestamps", getBool(p, "print_timestamps"), true);
    expect(wrong, s + "token_timestamps", getBool(p, "token_timestamps"), false);
    expect(wrong, s + "thold_pt", getFloat(p, "thold_pt"), 0.01f);
    expect(wrong, s + "thold_ptsum", getFloat(p, "thold_ptsum"), 0.01f);
    expect(wrong, s + "max_len", getInt(p, "max_len"), 0);
    expect(wrong, s + "max_tokens", getInt(p, "max_tokens"), 0);
    expect(wrong, s + "audio_ctx", getInt(p, "audio_ctx"), 0);
    expect(wrong, s + "suppress_regex", getAddress(p, "suppress_regex").address(), 0L);
    expect(wrong, s + "initial_prompt", getAddress(p, "initial_prompt").address(), 0L);
    expect(wrong, s + "prompt_tokens", getAddress(p, "prompt_tokens").address(), 0L);
    expect(wrong, s + "prompt_n_tokens", getInt(p, "prompt_n_tokens"), 0);
    expect(wrong, s + "detect_language", getBool(p, "detect_language"), false);
    expect(wrong, s + "suppress_blank", getBool(p, "suppress_blank"), true);
    expect(wrong, s + "temperature", getFloat(p, "temperature"), 0.0f);
    expect(wrong, s + "max_initial_ts", getFloat(p, "max_initial_ts"), 1.0f);
    expect(wrong, s + "length_penalty", getFloat(p, "length_penalty"), -1.0f);
    expect(wrong, s + "temperature_inc", getFloat(p, "temperature_inc"), 0.2f);
    expect(wrong, s + "entropy_thold", getFloat(p, "entropy_thold"), 2.4f);
    expect(wrong, s + "logprob_thold", getFloat(p, "logprob_thold"), -1.0f);
    expect(wrong, s + "no_speech_thold", getFloat(p, "no_speech_thold"), 0.6f);
    boolean greedy = strategy == SAMPLING_GREEDY;
    expect(wrong, s + "greedy.best_of", getInt(p, "greedy", "best_of"), greedy ? 5 : -1);
    expect(wrong, s + "beam_search.beam_size", getInt(p, "beam_search", "beam_size"), greedy ? -1 : 5);
    expect(wrong, s + "beam_search.patience", getFloat(p, "beam_search", "patience"), -1.0f);
    for (String cb : List.of("new_segment_callback", "new_segment_callback_user_data", "progress_callback",
        "progress_callback_user_data", "encoder_begin_callback", "encoder_begin_callback_user_data",
        "abort_callback", "abort_callback_user_data", "logits_filter_callback", "logits_filter_callback_user_data",
        "grammar_rules")) {
      expect(wrong, s + cb, getAddress(p, cb).address(), 0L);
    }
    expect(wrong, s + "n_grammar_rules", p.get(JAVA_LONG, offset(FULL_PARAMS, "n_grammar_rules")), 0L);
    expect(wrong, s + "i_start_rule", p.get(JAVA_LONG, offset(FULL_PARAMS, "i_start_rule")), 0L);
    expect(wrong, s + "grammar_penalty", getFloat(p, "grammar_penalty"), 100.0f);
    if (wrong.isEmpty()) {
      // only now is the pointer known to sit where the layout says
      expect(wrong, s + "language", WhisperLibrary.cString(getAddress(p, "language")), "en");
    }
  }

  private static void expect(List<String> wrong, String field, Object actual, Object expected) {
    if (!expected.equals(actual)) {
      wrong.add(field + "=" + actual + " (expected " + expected + ")");
    }
  }

}
