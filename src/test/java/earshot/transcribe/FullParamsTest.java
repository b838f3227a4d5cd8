package earshot.transcribe;

import static earshot.transcribe.FullParamsLayout.getAddress;
import static earshot.transcribe.FullParamsLayout.getBool;
import static earshot.transcribe.FullParamsLayout.getFloat;
import static earshot.transcribe.FullParamsLayout.getInt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.Sampling;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code whisper_full_params} a decode hands to {@code whisper_full_with_state}, read back field by field and
 * compared with the library's own {@code whisper_full_default_params} (whisper-jni's bundled libwhisper.so.1, in
 * this forked JVM).
 */
class FullParamsTest {
  static WhisperLibrary lib;

  @BeforeAll
  static void load() {
    lib = WhisperLibrary.load(null);
  }

  static MemorySegment build(Arena call, DecodeOptions o) throws Throwable {
    return FullParams.build(lib, call, o, "en", false, false, FullParams.Callbacks.NONE);
  }

  @Test
  void unsetDecodingParametersAreWhisperCppsDefaults() throws Throwable {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment p = build(call, new DecodeOptions("en", false, null, Sampling.DEFAULTS, 2, false));
      MemorySegment greedy = FullParams.defaults(lib, call, FullParamsLayout.SAMPLING_GREEDY);
      assertEquals(FullParamsLayout.SAMPLING_GREEDY, getInt(p, "strategy"));
      for (String[] field : new String[][] {{"greedy", "best_of"}, {"beam_search", "beam_size"}}) {
        assertEquals(getInt(greedy, field), getInt(p, field), String.join(".", field));
      }
      for (String field : new String[] {"temperature", "temperature_inc", "entropy_thold", "logprob_thold",
          "no_speech_thold", "length_penalty"}) {
        assertEquals(getFloat(greedy, field), getFloat(p, field), field);
      }
      // whisper.cpp 1.7.1's values, so that a library returning something else is noticed here too
      assertEquals(5, getInt(p, "greedy", "best_of"));
      assertEquals(0.2f, getFloat(p, "temperature_inc"));
      assertEquals(0.0f, getFloat(p, "temperature"));
      assertEquals(2, getInt(p, "n_threads"));
    }
  }

  @Test
  void aJobsDecodingParametersAreWhatWhisperFullGets() throws Throwable {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment p = build(call, new DecodeOptions("en", false, "a prompt", new Sampling(4, 3, 0.3f, 0f), 1,
          true));
      assertEquals(FullParamsLayout.SAMPLING_BEAM_SEARCH, getInt(p, "strategy"));
      assertEquals(4, getInt(p, "beam_search", "beam_size"));
      assertEquals(3, getInt(p, "greedy", "best_of"));
      assertEquals(0.3f, getFloat(p, "temperature"));
      assertEquals(0.0f, getFloat(p, "temperature_inc"), "0 turns the fallback off");
      assertEquals(1, getInt(p, "n_threads"));
      assertEquals("a prompt", WhisperLibrary.cString(getAddress(p, "initial_prompt")));
      assertEquals("en", WhisperLibrary.cString(getAddress(p, "language")));
    }
  }

  @Test
  void beamSearchWithoutBestOfStillSamplesWhisperCppsCandidatesAtFallbackTemperatures() throws Throwable {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment beamDefaults = FullParams.defaults(lib, call, FullParamsLayout.SAMPLING_BEAM_SEARCH);
      assertEquals(-1, getInt(beamDefaults, "greedy", "best_of"), "the library's beam defaults leave best_of unset");
      MemorySegment p = build(call, new DecodeOptions("en", false, null, new Sampling(2, null, null, null), 0, false));
      assertEquals(FullParamsLayout.SAMPLING_BEAM_SEARCH, getInt(p, "strategy"));
      assertEquals(2, getInt(p, "beam_search", "beam_size"));
      assertEquals(getFloat(beamDefaults, "beam_search", "patience"), getFloat(p, "beam_search", "patience"));
      assertEquals(5, getInt(p, "greedy", "best_of"), "greedy's best_of, as whisper.cpp's own CLI does");
      assertEquals(0.2f, getFloat(p, "temperature_inc"));
      assertEquals(Runtime.getRuntime().availableProcessors(), getInt(p, "n_threads"), "0: every core");
    }
  }

  @Test
  void aBeamSizeOfOneIsGreedyAndNothingPrintsToStdout() throws Throwable {
    try (Arena call = Arena.ofConfined()) {
      MemorySegment p = build(call, new DecodeOptions("en", false, null, new Sampling(1, 2, null, null), 1, false));
      assertEquals(FullParamsLayout.SAMPLING_GREEDY, getInt(p, "strategy"));
      assertEquals(2, getInt(p, "greedy", "best_of"));
      for (String flag : new String[] {"print_special", "print_progress", "print_realtime", "print_timestamps",
          "detect_language", "translate", "token_timestamps"}) {
        assertFalse(getBool(p, flag), flag);
      }
      assertTrue(getAddress(p, "initial_prompt").equals(MemorySegment.NULL));
    }
  }
}
