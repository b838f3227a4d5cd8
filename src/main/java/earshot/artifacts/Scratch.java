package earshot.artifacts;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A stage run's node-local scratch directory, {@code data_dir/work/<uuid>/<stage>-<id>/}: where a runner fetches
 * its input from the artifact store and writes its output before putting it back. {@link #close()} deletes it
 * (and {@code work/<uuid>/} when that is left empty), so a stage leaves nothing behind on any exit path when it
 * opens its scratch in a try-with-resources.
 *
 * <p>Threading: blocking file I/O; call from a worker.
 */
public final class Scratch implements AutoCloseable {
  private final Path dir;

  private Scratch(Path dir) {
    this.dir = dir;
  }

  public static Scratch open(Path dataDir, String jobUuid, String stage) throws IOException {
    ArtifactKeys.jobPrefix(jobUuid); // refuses anything but a job uuid, so the path stays under work/
    Path job = dataDir.resolve("work").resolve(jobUuid);
    String id = UUID.randomUUID().toString().substring(0, 8);
    return new Scratch(Files.createDirectories(job.resolve(stage + "-" + id)));
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() throws IOException {
    FileTrees.delete(dir);
    try {
      Files.deleteIfExists(dir.getParent());
    } catch (DirectoryNotEmptyException e) {
      // an earlier version's upload, or another file of the job: the workspace cleaner takes it when the job ends
    }
  }
}
