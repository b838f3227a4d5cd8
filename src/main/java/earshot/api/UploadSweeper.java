package earshot.api;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.bus.Addresses;
import earshot.bus.JobStatuses;
import earshot.metrics.UploadMetrics;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * <p>And it is the backstop for a job's objects ({@code jobs/<uuid>/...}) that outlive the job, which the runner
 * nodes' {@code WorkspaceCleaner} deletes when the job ends unless no runner node heard the end or the store failed
 * all its attempts: objects not written for {@link #ORPHAN_AGE} are looked up by their job's uuid
 * ({@code earshot.jobs.statuses}); a completed job's or one the store does not know go, a failed or cancelled job's
 * go except its upload (kept for a retry), a queued or processing job's stay. Without a scheduler answering, that
 * part waits for the next sweep.
 *
 * <p>Threading: a worker verticle; listing and deleting run on its worker context, at start and on its timer; the
 * job lookups are event-bus requests from it.
 */
public final class UploadSweeper extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(UploadSweeper.class);
  static final Duration ORPHAN_AGE = Duration.ofHours(1);
  static final Duration INTERVAL = Duration.ofMinutes(10);
  private static final DeliveryOptions LOOKUP = new DeliveryOptions().setSendTimeout(30_000);

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
    sweepAll();
    vertx.setPeriodic(INTERVAL.toMillis(), id -> sweepAll());
    return Future.succeededFuture();
  }

  private void sweepAll() {
    sweep();
    if (artifacts != null) {
      sweepJobObjects(vertx, artifacts, Instant.now().minus(ORPHAN_AGE))
          .onSuccess(removed -> {
            if (removed > 0) {
              LOG.info("removed {} object(s) of ended jobs from the {} artifact store", removed, artifacts.kind());
              metrics.orphansRemoved(removed);
            }
          })
          .onFailure(err -> LOG.warn("could not sweep the {} artifact store's job objects (next sweep tries again):"
              + " {}", artifacts.kind(), err.getMessage()));
    }
  }

  /**
   * Deletes the objects under {@code jobs/} last written before {@code before} whose job has ended or does not
   * exist (a failed or cancelled job's upload stays); how many. Blocking store calls run on {@code vertx}'s worker
   * pool; the jobs are asked of the job readers in batches of {@link JobStatuses#MAX}.
   */
  static Future<Integer> sweepJobObjects(io.vertx.core.Vertx vertx, ArtifactStore artifacts, Instant before) {
    return vertx.<Map<String, List<ArtifactStore.StoredObject>>>executeBlocking(() -> {
      Map<String, List<ArtifactStore.StoredObject>> byJob = new TreeMap<>();
      for (ArtifactStore.StoredObject o : artifacts.list(ArtifactKeys.JOBS)) {
        String uuid = ArtifactKeys.jobOf(o.key());
        if (uuid != null && o.lastModified().isBefore(before)) {
          byJob.computeIfAbsent(uuid, k -> new ArrayList<>()).add(o);
        }
      }
      return byJob;
    }, false).compose(byJob -> {
      List<String> uuids = List.copyOf(byJob.keySet());
      List<Future<Integer>> batches = new ArrayList<>();
      for (int from = 0; from < uuids.size(); from += JobStatuses.MAX) {
        List<String> batch = uuids.subList(from, Math.min(uuids.size(), from + JobStatuses.MAX));
        batches.add(vertx.eventBus()
            .<JsonObject>request(Addresses.JOBS_STATUSES, new JobStatuses(batch).toJson(), LOOKUP)
            .map(reply -> JobStatuses.statuses(reply.body()))
            .compose(statuses -> vertx.executeBlocking(() -> deleteEnded(artifacts, batch, byJob, statuses), false)));
      }
      return Future.all(batches).map(all -> {
        int removed = 0;
        for (int i = 0; i < all.size(); i++) {
          removed += all.<Integer>resultAt(i);
        }
        return removed;
      });
    });
  }

  private static int deleteEnded(ArtifactStore artifacts, List<String> uuids,
                                 Map<String, List<ArtifactStore.StoredObject>> byJob, Map<String, String> statuses)
      throws IOException {
    int removed = 0;
    for (String uuid : uuids) {
      String status = statuses.get(uuid);
      if ("queued".equals(status) || "processing".equals(status)) {
        continue;
      }
      boolean keepUpload = "failed".equals(status) || "cancelled".equals(status);
      for (ArtifactStore.StoredObject o : byJob.get(uuid)) {
        if (!(keepUpload && ArtifactKeys.isUpload(o.key())) && artifacts.delete(o.key())) {
          removed++;
        }
      }
    }
    return removed;
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
