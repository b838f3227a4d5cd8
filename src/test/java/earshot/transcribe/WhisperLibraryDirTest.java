package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.givimad.whisperjni.WhisperJNI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configured library directory is what gets loaded: the bundled whisper.cpp build is copied to a directory of
 * our own (as a GPU node would hold a CUDA build), the engine is pointed at it, and the process maps show the
 * library came from there. Its own forked JVM: a process binds one whisper library.
 */
class WhisperLibraryDirTest {
  @TempDir
  Path dir;

  @Test
  void theConfiguredDirectoryIsTheOneLoaded() throws Exception {
    // Let whisper-jni extract its CPU build, then copy libwhisper.so.1 and its ggml library next to each other.
    Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
    WhisperJNI.loadLibrary();
    Path extracted = mapped().stream().filter(p -> p.getFileName().toString().equals(WhisperLibrary.LIBRARY))
        .findFirst().orElseThrow().getParent();
    Path custom = Files.createDirectories(dir.resolve("whisper-custom"));
    try (Stream<Path> files = Files.list(extracted)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("lib")).toList()) {
        Files.copy(f, custom.resolve(f.getFileName()));
      }
    }
    Path model = SyntheticModel.write(dir.resolve("ggml-tiny.bin"), SyntheticModel.Spec.tiny());

    try (WhisperFfmEngine engine = new WhisperFfmEngine(1, custom)) {
      assertEquals(custom.resolve(WhisperLibrary.LIBRARY).toAbsolutePath().normalize(), engine.library().path());
      assertTrue(mapped().contains(custom.resolve(WhisperLibrary.LIBRARY).toRealPath()),
          "libwhisper.so.1 is mapped from the configured directory");
      assertEquals("cpu", engine.library().backend());
      try (var session = engine.open(model, Duration.ofSeconds(10))) {
        assertFalse(session.transcribe(TestAudio.tones(5, 3), WhisperFfmEngineTest.GREEDY).segments().isEmpty());
      }
    }
  }

  private static List<Path> mapped() throws Exception {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.filter(l -> l.contains("/")).map(l -> Path.of(l.substring(l.indexOf('/')).trim()))
          .distinct().toList();
    }
  }
}
