package earshot.pipeline;

import earshot.artifacts.ArtifactStore;
import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.WorkspaceCleanup;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a job's temporary files when it ends however it ends: completed, failed or cancelled (job events), and
 * again when a runner's cancelled stage has actually stopped writing: this node's {@code work/<uuid>/} and the job's
 * objects in the artifact store ({@code jobs/<uuid>/}: source, PCM). An uploaded input ({@code upload.*}, locally or
 * in the store) is kept until the job completes, so a failed or cancelled upload can be retried. Deletion is
 * idempotent, so every node that runs stage runners does it for every job that ends.
 *
 * <p>Threading: a worker verticle; file deletion runs on its worker context.
 */
public final class WorkspaceCleaner extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkspaceCleaner.class);
  private static final Set<String> STOPPED = Set.of("failed", "cancelled");
  private static final int OBJECT_ATTEMPTS = 6;

  private final Workspace workspace;
  private final ArtifactStore artifacts;

  public WorkspaceCleaner(Workspace workspace, ArtifactStore artifacts) {
    this.workspace = workspace;
    this.artifacts = artifacts;
  }

  @Override
  public Future<?> start() {
    var bus = vertx.eventBus();
    return Future.all(
        bus.<JsonObject>consumer(Addresses.JOBS_FINISHED, m -> {
          JobEvent e = JobEvent.fromJson(m.body());
          if ("completed".equals(e.status())) {
            delete(e.uuid(), true);
          } else if (STOPPED.contains(e.status())) {
            delete(e.uuid(), false);
          }
        }).completion(),
        bus.<JsonObject>localConsumer(Addresses.WORKSPACE_CLEANUP,
            m -> delete(WorkspaceCleanup.fromJson(m.body()).uuid(), false)).completion());
  }

  /** Everything when the job completed; otherwise the temporary files, keeping an upload for a retry. */
  private void delete(String uuid, boolean all) {
    try {
      if (all ? workspace.deleteWorkDir(uuid) : workspace.deleteTemporaryFiles(uuid)) {
        LOG.debug("deleted temporary files of job {}", uuid);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not delete temporary files of job {}: {}", uuid, e.getMessage());
    }
    deleteObjects(uuid, all, 1);
  }

  /** The job's objects in the store; a store that cannot be reached is tried again, from 5 s doubling, 6 times. */
  private void deleteObjects(String uuid, boolean all, int attempt) {
    try {
      int deleted = artifacts.deleteJobObjects(uuid, !all);
      if (deleted > 0) {
        LOG.debug("deleted {} stored object(s) of job {}", deleted, uuid);
      }
    } catch (IOException | RuntimeException e) {
      if (attempt < OBJECT_ATTEMPTS) {
        vertx.setTimer(5_000L << (attempt - 1), t -> deleteObjects(uuid, all, attempt + 1));
      } else {
        LOG.warn("could not delete the stored objects of job {} after {} attempts; they stay in the {} store: {}",
            uuid, attempt, artifacts.kind(), e.getMessage());
      }
    }
  }
}
