package earshot.audio;

import earshot.jobs.PermanentStageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * Guards the {@code local_path} input: a server-local file is readable only when its real path (symlinks followed)
 * lies inside the real path of one configured allowed root, so {@code ../} traversal and symlinks that leave a root
 * are refused. A refusal never says whether a file outside the roots exists.
 *
 * <p>Threading: blocking filesystem calls; call on a worker thread. Stateless.
 */
public final class LocalPaths {
  static final String DISABLED =
      "local_path is disabled: configure audio.allowed_roots / EARSHOT_ALLOWED_ROOTS";

  private LocalPaths() {}

  /**
   * The real path of {@code path}, a regular readable file under one of {@code allowedRoots}.
   *
   * @throws PermanentStageException for every refusal, with a message that names {@code path}
   */
  public static Path resolve(String path, List<Path> allowedRoots) {
    if (allowedRoots == null || allowedRoots.isEmpty()) {
      throw new PermanentStageException(DISABLED);
    }
    if (path == null || path.isBlank()) {
      throw new PermanentStageException("local_path is empty");
    }
    Path requested;
    try {
      requested = Path.of(path);
    } catch (InvalidPathException e) {
      throw new PermanentStageException("local_path " + quote(path) + " is not a valid path");
    }
    if (!requested.isAbsolute()) {
      throw new PermanentStageException("local_path " + quote(path) + " must be an absolute path");
    }
    Path real;
    try {
      real = requested.toRealPath();
    } catch (IOException | SecurityException e) {
      throw notAllowed(path);
    }
    if (allowedRoots.stream().noneMatch(root -> isInside(real, root))) {
      throw notAllowed(path);
    }
    if (!Files.isRegularFile(real)) {
      throw new PermanentStageException("local_path " + quote(path) + " is not a regular file");
    }
    if (!Files.isReadable(real)) {
      throw new PermanentStageException("local_path " + quote(path) + " is not readable");
    }
    return real;
  }

  private static boolean isInside(Path real, Path root) {
    try {
      return real.startsWith(root.toRealPath());
    } catch (IOException | SecurityException e) {
      return false; // a root that does not exist holds nothing
    }
  }

  private static PermanentStageException notAllowed(String path) {
    return new PermanentStageException("local_path " + quote(path) + " not found or not allowed");
  }

  private static String quote(String path) {
    return "'" + path + "'";
  }
}
