package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.jobs.PermanentStageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The validator alone, without native code: every file the notes found to crash whisper.cpp is refused. */
class ModelValidatorTest {
  @TempDir
  static Path dir;
  static Path good;

  @BeforeAll
  static void model() throws Exception {
    good = SyntheticModel.write(dir.resolve("good.bin"), SyntheticModel.Spec.tiny());
  }

  @Test
  void acceptsTheSyntheticModel() {
    ModelValidator.Summary s = ModelValidator.validate(good);
    assertEquals(51864, s.hparams().nVocab());
    assertEquals(1, s.hparams().ftype());
    assertTrue(s.tensors() > 20, "tensors: " + s.tensors());
  }

  @Test
  void refusesAnAllF32Model() throws Exception {
    assertRefused(SyntheticModel.write(dir.resolve("f32.bin"), SyntheticModel.Spec.tiny().ftype(0)), "ftype 0");
  }

  @Test
  void acceptsQuantizedFtypesWithTheirVersionFactor() throws Exception {
    Path q50 = SyntheticModel.write(dir.resolve("q5_0.bin"), SyntheticModel.Spec.tiny().ftype(2008));
    assertEquals(2008, ModelValidator.validate(q50).hparams().ftype());
    assertRefused(SyntheticModel.write(dir.resolve("ft4.bin"), SyntheticModel.Spec.tiny().ftype(4)), "ftype 4");
  }

  @Test
  void refusesAVocabularyWithoutTheSpaceToken() throws Exception {
    assertRefused(SyntheticModel.write(dir.resolve("nospace.bin"), SyntheticModel.Spec.tiny().withoutSpaceToken()),
        "\" \"");
  }

  @Test
  void refusesASmallVocabulary() throws Exception {
    assertRefused(SyntheticModel.write(dir.resolve("v1000.bin"), SyntheticModel.Spec.tiny().vocab(1000)), "n_vocab");
  }

  @Test
  void refusesAModelWithoutTensors() throws Exception {
    assertRefused(SyntheticModel.write(dir.resolve("empty.bin"), SyntheticModel.Spec.tiny().withoutTensors()),
        "before the first tensor");
  }

  @Test
  void refusesTruncatedFilesAtEveryPart() throws Exception {
    byte[] all = Files.readAllBytes(good);
    for (int length : new int[] {0, 3, 20, 200, 40_000, 300_000, all.length / 2, all.length - 1}) {
      Path cut = Files.write(dir.resolve("cut-" + length + ".bin"), Arrays.copyOf(all, length));
      var e = assertThrows(PermanentStageException.class, () -> ModelValidator.validate(cut), "length " + length);
      assertTrue(e.getMessage().contains(cut.toString()), e.getMessage());
    }
  }

  @Test
  void refusesNonModelFiles() throws Exception {
    assertRefused(Files.writeString(dir.resolve("text.bin"), "this is not a model at all"), "bad magic");
    byte[] all = Files.readAllBytes(good);
    all[4] = (byte) 0xff; // n_vocab = 51864 with its low byte replaced
    all[5] = (byte) 0xff;
    all[6] = (byte) 0xff;
    all[7] = (byte) 0xff;
    assertRefused(Files.write(dir.resolve("negvocab.bin"), all), "n_vocab");
  }

  private static void assertRefused(Path file, String expected) {
    var e = assertThrows(PermanentStageException.class, () -> ModelValidator.validate(file));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
