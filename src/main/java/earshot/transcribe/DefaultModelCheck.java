package earshot.transcribe;

import earshot.bus.ModelStatus;
import earshot.jobs.PermanentStageException;
import java.nio.file.Path;

/**
 * Whether a transcriber can run its default model: the file is in the models directory and {@link ModelValidator}
 * accepts it. Readiness asks on every probe, so a model installed after start-up makes the node ready without a
 * restart, and one that is removed or broken makes it not ready.
 *
 * <p>Threading: blocking file I/O (the validator reads the header and vocabulary, not the weights); call from a
 * worker, e.g. executeBlocking. Stateless.
 */
public final class DefaultModelCheck {
  private DefaultModelCheck() {}

  public static ModelStatus check(Path modelsDir, String defaultModel) {
    ModelRegistry models = new ModelRegistry(modelsDir, defaultModel);
    String dir = models.modelsDir().toString();
    String name;
    try {
      name = models.canonical(ModelRegistry.DEFAULT_ALIAS);
    } catch (PermanentStageException e) {
      return new ModelStatus(defaultModel, null, dir, ModelStatus.INVALID,
          "audio.default_model (EARSHOT_DEFAULT_MODEL): " + e.getMessage(), null);
    }
    Path file = models.fileFor(name);
    String download = "scripts/download-model.sh " + name;
    try {
      models.resolve(name);
    } catch (PermanentStageException e) {
      // A missing model's typed failure holds the sentence without the job error's code, which is what a person reads.
      String why = e.failure() != null ? e.failure().detail() : e.getMessage();
      return new ModelStatus(name, file.toString(), dir, ModelStatus.MISSING, "default " + why, download);
    }
    try {
      ModelValidator.validate(file);
    } catch (PermanentStageException e) {
      return new ModelStatus(name, file.toString(), dir, ModelStatus.INVALID, "default model '" + name
          + "' cannot run: " + e.getMessage() + "; replace it with `" + download + "` (EARSHOT_MODELS_DIR=" + dir
          + ")", download);
    }
    return new ModelStatus(name, file.toString(), dir, ModelStatus.READY, null, download);
  }
}
