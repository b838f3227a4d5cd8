package earshot.api;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.metrics.UploadMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backstop for upload files that outlive their request: at start-up and every {@link #INTERVAL} it deletes the
 * files in the upload staging directory ({@code data/uploads}) last written more than {@link #ORPHAN_AGE} ago, and
 * counts them ({@code audio_upload_orphans_removed_total}). A request deletes its own file however it ends
 * ({@link MultipartUpload}); what is found here was left by a crash or a bug. An upload in progress writes its file
 * as its bytes arrive, so its last-modified time stays within the HTTP idle timeout of now, far below ORPHAN_AGE,
 * and the sweep cannot take it; a file unwritten for that long has no request left to finish it. Ages are measured
 * on the wall clock, since file times are.
 *
 * <p>The same sweep covers the artifact store's presigned uploads ({@code uploads/<owner>/...}): an object whose
 * upload URL expired more than {@link #ORPHAN_AGE} ago was never submitted as a job (a submission moves it to the
 * job's key at once), so it goes too, and is counted the same way.
 *
 * <p>Threading: a worker verticle; listing and deleting run on its worker context, at start and on its timer.
 */
public final class UploadSweeper extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(UploadSweeper.class);
  static final Duration ORPHAN_AGE = Duration.ofHours(1);
  static final Duration INTERVAL = Duration.ofMinutes(10);

  private final Path dir;
  private final UploadMetrics metrics;
  private final ArtifactStore artifacts;

  /** Sweeps only the local staging directory. */
  public UploadSweeper(Path dir, UploadMetrics metrics) {
    this(dir, metrics, null);
  }

  /** Sweeps the local staging directory and, when {@code artifacts} is not null, its presigned uploads. */
  public UploadSweeper(Path dir, UploadMetrics metrics, ArtifactStore artifacts) {
    this.dir = dir;
    this.metrics = metrics;
    this.artifacts = artifacts;
  }

  @Override
  public Future<?> start() {
    sweep();
    vertx.setPeriodic(INTERVAL.toMillis(), id -> sweep());
    return Future.succeededFuture();
  }

  /** Deletes the orphaned files and stored uploads; how many it deleted. */
  int sweep() {
    return sweepDirectory() + sweepStore();
  }

  /** Presigned uploads whose URL expired more than ORPHAN_AGE ago (or, for a key it cannot read, written then). */
  int sweepStore() {
    if (artifacts == null) {
      return 0;
    }
    Instant before = Instant.now().minus(ORPHAN_AGE);
    int removed = 0;
    try {
      for (ArtifactStore.StoredObject o : artifacts.list(ArtifactKeys.UPLOADS)) {
        ArtifactKeys.Staged staged = ArtifactKeys.parseStaged(o.key());
        Instant end = staged == null ? o.lastModified() : Instant.ofEpochSecond(staged.expiresEpochSecond());
        if (end.isBefore(before) && artifacts.delete(o.key())) {
          removed++;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not look for orphaned uploads in the {} artifact store: {}", artifacts.kind(), e.getMessage());
    }
    if (removed > 0) {
      LOG.info("removed {} orphaned presigned upload(s) from the {} artifact store", removed, artifacts.kind());
      metrics.orphansRemoved(removed);
    }
    return removed;
  }

  private int sweepDirectory() {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    Instant before = Instant.now().minus(ORPHAN_AGE);
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        if (orphaned(file, before) && delete(file)) {
          removed++;
        }
      }
    } catch (IOException e) {
      LOG.warn("could not look for orphaned uploads in {}: {}", dir, e.getMessage());
    }
    if (removed > 0) {
      LOG.info("removed {} orphaned upload file(s) from {}", removed, dir);
      metrics.orphansRemoved(removed);
    }
    return removed;
  }

  private static boolean orphaned(Path file, Instant before) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      return attrs.isRegularFile() && attrs.lastModifiedTime().toInstant().isBefore(before);
    } catch (IOException e) {
      return false; // gone already, or unreadable: nothing to count
    }
  }

  private static boolean delete(Path file) {
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("could not delete orphaned upload {}: {}", file, e.getMessage());
      return false;
    }
  }
}
