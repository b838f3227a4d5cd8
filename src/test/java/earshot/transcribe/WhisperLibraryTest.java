package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
  void aDirectoryWithoutTheLibraryIsRefusedWithAMessage(@TempDir Path empty) {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> WhisperLibrary.load(empty));
    assertTrue(e.getMessage().contains(WhisperLibrary.LIBRARY), e.getMessage());
  }
}
