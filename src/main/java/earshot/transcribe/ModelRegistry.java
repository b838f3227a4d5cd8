package earshot.transcribe;

import earshot.jobs.JobFailure;
import earshot.jobs.PermanentStageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Maps a job's model name to a ggml file in {@code audio.models_dir}, using whisper.cpp's official file names
 * ({@code ggml-<name>.bin}): the base names, their {@code .en} variants, and quantized variants
 * ({@code <name>-q5_1}). {@code whisper-1} (the OpenAI API's only model name) is an alias of
 * {@code audio.default_model}.
 *
 * <p>Threading: immutable; {@link #resolve} touches the filesystem, so call it from a worker.
 */
public final class ModelRegistry {
  /** The names whisper.cpp's download script knows, without quantization suffixes. */
  public static final List<String> BASE_NAMES = List.of(
      "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
      "large-v1", "large-v2", "large-v3", "large-v3-turbo");
  /** The alias that means "the configured default model". */
  public static final String DEFAULT_ALIAS = "whisper-1";
  /**
   * How the error of a job whose model file is missing starts, so that an API (which may run where the models are
   * not) can tell it from other failures and answer it as such; the rest is the message for people.
   */
  public static final String NOT_INSTALLED = "model_not_installed: ";

  private static final Pattern QUANTIZED = Pattern.compile("(.+)-q\\d+_\\d+");

  private final Path modelsDir;
  private final String defaultModel;

  public ModelRegistry(Path modelsDir, String defaultModel) {
    this.modelsDir = modelsDir.toAbsolutePath().normalize();
    this.defaultModel = defaultModel;
  }

  public Path modelsDir() {
    return modelsDir;
  }

  /** True for a base name, a quantized variant of one, or the alias. */
  public static boolean isKnown(String name) {
    if (name == null) {
      return false;
    }
    if (BASE_NAMES.contains(name) || DEFAULT_ALIAS.equals(name)) {
      return true;
    }
    var m = QUANTIZED.matcher(name);
    return m.matches() && BASE_NAMES.contains(m.group(1));
  }

  /**
   * The whisper.cpp model name a job asked for: the alias and a missing name become the default model.
   *
   * @throws PermanentStageException for a name whisper.cpp does not publish
   */
  public String canonical(String requested) {
    String name = requested == null || requested.isBlank() || DEFAULT_ALIAS.equals(requested)
        ? defaultModel : requested.trim();
    if (!isKnown(name) || DEFAULT_ALIAS.equals(name)) {
      throw new PermanentStageException("unknown model '" + requested + "'; known models: "
          + String.join(", ", BASE_NAMES) + ", their quantized variants (<name>-q<d>_<d>, e.g. base-q5_1) and "
          + DEFAULT_ALIAS + " (= " + defaultModel + ")");
    }
    return name;
  }

  /**
   * The models whose files are in {@code modelsDir} ({@code ggml-<name>.bin} for a name whisper.cpp publishes),
   * sorted; none when the directory cannot be read. Blocking: a directory listing.
   */
  public static List<String> installed(Path modelsDir) {
    try (var files = Files.list(modelsDir)) {
      return files.filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("ggml-") && n.endsWith(".bin"))
          .map(n -> n.substring("ggml-".length(), n.length() - ".bin".length()))
          .filter(n -> isKnown(n) && !DEFAULT_ALIAS.equals(n))
          .sorted()
          .toList();
    } catch (java.io.IOException | RuntimeException e) {
      return List.of();
    }
  }

  /** The file a model name maps to, whether or not it exists. */
  public Path fileFor(String canonicalName) {
    return modelsDir.resolve("ggml-" + canonicalName + ".bin");
  }

  /**
   * The model file for a requested name.
   *
   * @throws PermanentStageException when the name is unknown or its file is not in the models directory
   */
  public Path resolve(String requested) {
    String name = canonical(requested);
    Path file = fileFor(name);
    if (!Files.isRegularFile(file)) {
      String why = "model '" + name + "' is not installed: " + file.getFileName()
          + " not found in the models directory " + modelsDir + " (audio.models_dir); download it with "
          + "`scripts/download-model.sh " + name + "` (EARSHOT_MODELS_DIR=" + modelsDir + ")";
      throw new PermanentStageException(NOT_INSTALLED + why, JobFailure.modelNotInstalled(why));
    }
    return file;
  }
}
