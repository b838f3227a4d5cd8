package earshot.artifacts;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

/**
 * Where a job's files live so that every node can reach them: uploads, the downloaded source, the decoded PCM and
 * the result files, under object keys ({@link ArtifactKeys}) such as {@code jobs/<uuid>/upload.mp3},
 * {@code jobs/<uuid>/audio.pcm} or {@code results/<uuid>/transcript.srt}. A runner fetches its input into its own
 * node-local scratch ({@code work/<uuid>/}), runs its stage and puts the output back.
 *
 * <p>Two implementations, chosen in one switch ({@link ArtifactStores#open}): a directory ({@link DirArtifactStore},
 * the embedded default, and for a cluster a volume every node mounts) and an S3-compatible bucket
 * ({@link S3ArtifactStore}).
 *
 * <p>Threading: <b>every method blocks</b> (file or network I/O); call it from a worker, a stage's
 * {@code StageContext.blocking} or {@code executeBlocking}, never from an event loop. Implementations are thread-safe
 * and shared by the verticles of a node. A store that cannot be reached throws {@link ArtifactUnavailableException}
 * (retryable); a key that is not well formed throws {@link IllegalArgumentException}.
 */
public interface ArtifactStore extends AutoCloseable {

  /** An object as listed: its key, size and when it was last written. */
  record StoredObject(String key, long size, Instant lastModified) {}

  /**
   * A local file with an object's bytes. {@code temporary} when it is a copy made for the caller, which
   * {@link #close()} deletes; the directory store hands out its own file in place (not temporary).
   */
  record Local(Path path, boolean temporary) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      if (temporary) {
        Files.deleteIfExists(path);
      }
    }
  }

  /** A presigned upload: the URL to PUT to (absolute, or relative to the API for the directory store), and when it expires. */
  record PresignedPut(URI url, Instant expiresAt) {}

  /** Which store this is, as configured: {@code dir} or {@code s3}. */
  String kind();

  /** Stores a copy of {@code file} under {@code key}, replacing what was there. */
  void put(String key, Path file) throws IOException;

  /**
   * Moves {@code file} into the store under {@code key}: a rename where the store is a directory on the same file
   * system, otherwise {@link #put} and then the local file is deleted. The local file is gone afterwards either way.
   */
  void putMoving(String key, Path file) throws IOException;

  /**
   * The object's bytes as a local file: the directory store's own file in place, or a download into
   * {@code scratchDir} (created if needed). Throws {@link java.nio.file.NoSuchFileException} when there is none.
   */
  Local fetch(String key, Path scratchDir) throws IOException;

  /** Moves an object to another key (a rename, or a copy and a delete); false when {@code from} does not exist. */
  boolean move(String from, String to) throws IOException;

  /** The object's size in bytes, or empty when there is none. */
  OptionalLong size(String key) throws IOException;

  default boolean exists(String key) throws IOException {
    return size(key).isPresent();
  }

  /** Deletes the object; false when there was none. */
  boolean delete(String key) throws IOException;

  /** Deletes every object whose key starts with {@code prefix} (which must end with {@code /}); how many. */
  int deletePrefix(String prefix) throws IOException;

  /**
   * Deletes the job's objects under {@code jobs/<uuid>/}: all of them, or all but its upload when
   * {@code keepUpload} (a failed or cancelled job may be retried); how many.
   */
  default int deleteJobObjects(String jobUuid, boolean keepUpload) throws IOException {
    String prefix = ArtifactKeys.jobPrefix(jobUuid);
    if (!keepUpload) {
      return deletePrefix(prefix);
    }
    int deleted = 0;
    for (StoredObject o : list(prefix)) {
      if (!ArtifactKeys.isUpload(o.key()) && delete(o.key())) {
        deleted++;
      }
    }
    return deleted;
  }

  /** The objects whose keys start with {@code prefix} (which must end with {@code /}). */
  List<StoredObject> list(String prefix) throws IOException;

  /**
   * A URL a client may PUT the object's bytes to, without other credentials, until {@code ttl} has passed: the
   * S3 SDK's presigner, or the API's own signed upload route for the directory store ({@link UploadSigner}).
   */
  PresignedPut presignPut(String key, Duration ttl);

  /** Throws {@link ArtifactUnavailableException} when the store cannot be used now (for readiness). */
  void check();

  @Override
  void close();
}
