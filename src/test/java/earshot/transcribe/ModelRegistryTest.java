package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.jobs.PermanentStageException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {
  @TempDir
  Path dir;

  @Test
  void knowsTheOfficialNamesAndQuantizedVariants() {
    for (String name : new String[] {"tiny", "tiny.en", "base.en", "small", "medium.en", "large-v1", "large-v2",
        "large-v3", "large-v3-turbo", "base-q5_1", "small-q8_0", "large-v3-q5_0", "large-v3-turbo-q5_0",
        "tiny.en-q5_1", "whisper-1"}) {
      assertTrue(ModelRegistry.isKnown(name), name);
    }
    for (String name : new String[] {"large", "huge", "base-q5", "base-q5_x", "ggml-base", "../base", "", "x-q4_0"}) {
      assertFalse(ModelRegistry.isKnown(name), name);
    }
  }

  @Test
  void whisper1AndAMissingNameResolveToTheDefault() {
    ModelRegistry registry = new ModelRegistry(dir, "small.en");
    assertEquals("small.en", registry.canonical("whisper-1"));
    assertEquals("small.en", registry.canonical(null));
    assertEquals("base", registry.canonical("base"));
  }

  @Test
  void unknownNameIsAPermanentFailureListingTheKnownNames() {
    var e = assertThrows(PermanentStageException.class, () -> new ModelRegistry(dir, "base").canonical("gpt-4o"));
    assertTrue(e.getMessage().contains("gpt-4o"), e.getMessage());
    assertTrue(e.getMessage().contains("large-v3-turbo") && e.getMessage().contains("whisper-1"), e.getMessage());
  }

  @Test
  void missingFileNamesTheModelsDirectoryAndTheDownloadCommand() {
    Path relative = Path.of("target", "no-such-models");
    var e = assertThrows(PermanentStageException.class, () -> new ModelRegistry(relative, "base").resolve("whisper-1"));
    assertTrue(e.getMessage().contains(relative.toAbsolutePath().normalize().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("scripts/download-model.sh base"), e.getMessage());
  }

  @Test
  void resolvesToTheOfficialFileName() throws Exception {
    Path file = Files.createFile(dir.resolve("ggml-base-q5_1.bin"));
    assertEquals(file.toAbsolutePath(), new ModelRegistry(dir, "base").resolve("base-q5_1"));
  }
}
