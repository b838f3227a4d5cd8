package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loads whisper-jni's bundled libwhisper.so.1 through FFM (in this forked JVM) and runs the layout self-test. */
class WhisperLibraryTest {

  @Test
  void bundledLibraryPassesTheLayoutSelfTest() {
    WhisperLibrary lib = WhisperLibrary.load(null);
    assertTrue(lib.path().endsWith(WhisperLibrary.LIBRARY), lib.path().toString());
    assertTrue(lib.systemInfo().contains("AVX"), lib.systemInfo());
    assertEquals("cpu", lib.backend());
    FullParamsLayout.selfTest(lib); // repeatable, and it is what load() ran
  }

  @Test
  void layoutsHaveTheSizesOfWhisperCpp171() {
    assertEquals(264, FullParamsLayout.FULL_PARAMS.byteSize());
    assertEquals(48, FullParamsLayout.CONTEXT_PARAMS.byteSize());
    assertEquals(56, FullParamsLayout.TOKEN_DATA.byteSize());
    assertEquals(200, FullParamsLayout.offset(FullParamsLayout.FULL_PARAMS, "abort_callback"));
    assertEquals(256, FullParamsLayout.offset(FullParamsLayout.FULL_PARAMS, "grammar_penalty"));
  }

  @Test
  void aLayoutOffByOneFieldIsRefusedBeforeAnyPointerIsFollowed() throws Throwable {
    WhisperLibrary lib = WhisperLibrary.load(null);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment c = (MemorySegment) lib.contextDefaultParams.invokeExact((SegmentAllocator) arena);
      MemorySegment greedy = (MemorySegment) lib.fullDefaultParams.invokeExact((SegmentAllocator) arena, 0);
      MemorySegment beam = (MemorySegment) lib.fullDefaultParams.invokeExact((SegmentAllocator) arena, 1);
      assertEquals(List.of(), FullParamsLayout.differences(c, greedy, beam));
      // what a release with one more bool after initial_prompt would look like through our layout
      long at = FullParamsLayout.offset(FullParamsLayout.FULL_PARAMS, "prompt_tokens");
      MemorySegment shifted = arena.allocate(FullParamsLayout.FULL_PARAMS);
      shifted.copyFrom(greedy);
      MemorySegment.copy(greedy, at, shifted, at + 8, FullParamsLayout.FULL_PARAMS.byteSize() - at - 8);
      List<String> wrong = FullParamsLayout.differences(c, shifted, beam);
      assertTrue(wrong.stream().anyMatch(w -> w.startsWith("greedy: temperature_inc")), wrong.toString());
      assertTrue(wrong.stream().noneMatch(w -> w.startsWith("greedy: language=")), "language must not be dereferenced");
    }
  }

  @Test
  void theJavaLanguageTableIsWhisperCppsOwn() throws Throwable {
    WhisperLibrary lib = WhisperLibrary.load(null);
    int maxId = (int) lib.langMaxId.invokeExact();
    Set<String> native_ = new TreeSet<>();
    for (int id = 0; id <= maxId; id++) {
      String code = WhisperLibrary.cString((MemorySegment) lib.langStr.invokeExact(id));
      String name = WhisperLibrary.cString((MemorySegment) lib.langStrFull.invokeExact(id));
      native_.add(code);
      assertEquals(name, Languages.name(code), "the English name of " + code);
    }
    assertEquals(native_, new TreeSet<>(Languages.codes()));
    try (Arena arena = Arena.ofConfined()) {
      for (String code : Languages.codes()) {
        assertTrue((int) lib.langId.invokeExact(arena.allocateFrom(code)) >= 0, code);
      }
      assertEquals(-1, (int) lib.langId.invokeExact(arena.allocateFrom("xx")));
    }
    assertTrue(Languages.accepts("auto") && Languages.accepts("MK") && !Languages.accepts("xx"));
  }

  @Test
  void aDirectoryWithoutTheLibraryIsRefusedWithAMessage(@TempDir Path empty) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> WhisperLibrary.load(empty));
    assertTrue(e.getMessage().contains(WhisperLibrary.LIBRARY), e.getMessage());
  }
}
