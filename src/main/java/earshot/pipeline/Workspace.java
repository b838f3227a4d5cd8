package earshot.pipeline;

import earshot.artifacts.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A node's own files under {@code data_dir}: an upload while its request is read in {@code uploads/<uuid>}, and
 * stage scratch in {@code work/<uuid>/} (deleted when the job ends, however it ends; an earlier version also kept a
 * job's upload there). The job files every node reaches (uploads, PCM, results) are in the artifact store
 * ({@code earshot.artifacts}), whose directory store keeps {@code results/<uuid>/} here by default.
 * Blocking file I/O: call from a worker.
 */
public record Workspace(Path dataDir) {

  public Path workDir(String jobUuid) {
    return dataDir.resolve("work").resolve(safe(jobUuid));
  }

  public Path resultsDir(String jobUuid) {
    return dataDir.resolve("results").resolve(safe(jobUuid));
  }

  /**
   * Where an upload's file part is written while its request is read ({@code uploads/}), before it is moved into its
   * job's work directory; what stays here longer than a request is swept (UploadSweeper).
   */
  public Path uploadsDir() {
    return dataDir.resolve("uploads");
  }

  /** Where the upload for job {@code jobUuid} is staged while its request is read. */
  public Path stagedUpload(String jobUuid) {
    return uploadsDir().resolve(safe(jobUuid));
  }

  /** Creates and returns the job's work directory. */
  public Path createWorkDir(String jobUuid) throws IOException {
    return Files.createDirectories(workDir(jobUuid));
  }

  /** The prefix of an uploaded input file in the work directory ({@code upload.<ext>}). */
  public static final String UPLOAD_PREFIX = "upload";

  /**
   * Deletes the job's temporary files but keeps an uploaded input ({@code upload.*}), so that a failed or cancelled
   * job can be retried; true when something was deleted.
   */
  public boolean deleteTemporaryFiles(String jobUuid) throws IOException {
    Path dir = workDir(jobUuid);
    if (!Files.isDirectory(dir)) {
      return false;
    }
    boolean deleted = false;
    try (var entries = Files.list(dir)) {
      for (Path p : entries.toList()) {
        if (p.getFileName().toString().startsWith(UPLOAD_PREFIX + ".") && Files.isRegularFile(p)) {
          continue;
        }
        if (Files.isDirectory(p)) {
          FileTrees.delete(p);
        } else {
          Files.deleteIfExists(p);
        }
        deleted = true;
      }
    }
    try (var rest = Files.list(dir)) {
      if (rest.findAny().isEmpty()) {
        Files.deleteIfExists(dir); // nothing kept: no directory left behind either
        deleted = true;
      }
    }
    return deleted;
  }

  /** Deletes the job's work directory and everything in it; true when something was deleted. */
  public boolean deleteWorkDir(String jobUuid) throws IOException {
    Path dir = workDir(jobUuid);
    if (!Files.exists(dir)) {
      return false;
    }
    FileTrees.delete(dir);
    return true;
  }

  private static String safe(String uuid) {
    if (!uuid.matches("[A-Za-z0-9-]{1,64}")) {
      throw new IllegalArgumentException("not a job uuid: " + uuid);
    }
    return uuid;
  }
}
