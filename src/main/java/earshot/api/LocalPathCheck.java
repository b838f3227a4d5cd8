package earshot.api;

import earshot.audio.LocalPaths;
import earshot.jobs.PermanentStageException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;

/**
 * Refuses, before a job exists, a {@code local_path} that the convert stage would refuse: local_path switched off (no
 * allowed roots), or a path that is not a readable file inside an allowed root once symlinks and {@code ..} are
 * resolved ({@link LocalPaths}). The stage checks again when it runs, since the file can change in between.
 *
 * <p>Threading: called on the event loop; the file-system check runs in executeBlocking (unordered, so submissions
 * do not queue behind each other's checks).
 */
final class LocalPathCheck {
  static final String SETTING = "audio.allowed_roots (EARSHOT_ALLOWED_ROOTS)";

  private LocalPathCheck() {}

  /** Succeeds at once when {@code localPath} is null; otherwise fails with a 422 naming {@code local_path}. */
  static Future<Void> check(Vertx vertx, List<Path> allowedRoots, String localPath) {
    if (localPath == null) {
      return Future.succeededFuture();
    }
    if (allowedRoots.isEmpty()) {
      return Future.failedFuture(refused("local_path is switched off on this server: set " + SETTING
          + " to the directories it may read from, or upload the file (POST /api/v1/audio/jobs/upload)"));
    }
    return vertx.<Void>executeBlocking(() -> {
      LocalPaths.resolve(localPath, allowedRoots);
      return null;
    }, false).recover(err -> Future.failedFuture(err instanceof PermanentStageException e
        ? refused(e.getMessage() + "; local_path must name a readable file inside one of the directories of "
            + SETTING)
        : err));
  }

  private static ApiError refused(String detail) {
    return new ApiError(422, ProblemTypes.VALIDATION, "Unprocessable Content", detail, "local_path");
  }
}
