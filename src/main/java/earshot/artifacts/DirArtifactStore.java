package earshot.artifacts;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The artifact store as a directory: a key is a relative path under {@code root} ({@code data_dir} by default, so
 * results stay in {@code data_dir/results/<uuid>/}). The embedded default; for a cluster, {@code root} must be a
 * volume every node mounts at the same path (NFS, a Kubernetes ReadWriteMany volume), otherwise use the s3 store.
 * A fetch hands out the file in place, without copying. Writes go to a temporary name and are moved into place, so a
 * reader never sees half an object. Presigned uploads are the API's own signed route ({@link UploadSigner}).
 *
 * <p>Threading: blocking file I/O, thread-safe; call from a worker.
 */
public final class DirArtifactStore implements ArtifactStore {
  private final Path root;
  private final UploadSigner signer;
  private final Clock clock;

  public DirArtifactStore(Path root, UploadSigner signer, Clock clock) {
    this.root = root.toAbsolutePath().normalize();
    this.signer = signer;
    this.clock = clock;
  }

  @Override
  public String kind() {
    return "dir";
  }

  /** The signer of this store's upload URLs, which the API's signed PUT route verifies with. */
  public UploadSigner signer() {
    return signer;
  }

  /** The file of {@code key}; the key check keeps it under the root. */
  public Path path(String key) {
    Path p = root.resolve(ArtifactKeys.check(key)).normalize();
    if (!p.startsWith(root)) {
      throw new IllegalArgumentException("not an object key: it leaves the store");
    }
    return p;
  }

  @Override
  public void put(String key, Path file) throws IOException {
    Path target = path(key);
    Path tmp = temporaryBeside(target);
    try {
      Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public void putMoving(String key, Path file) throws IOException {
    Path target = path(key);
    if (file.toAbsolutePath().normalize().equals(target)) {
      return;
    }
    Files.createDirectories(target.getParent());
    try {
      Files.move(file, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      put(key, file); // another file system (scratch on a local disk, the store on a shared volume)
      Files.deleteIfExists(file);
    }
  }

  @Override
  public Local fetch(String key, Path scratchDir) throws IOException {
    Path p = path(key);
    if (!Files.isRegularFile(p)) {
      throw new NoSuchFileException(key);
    }
    return new Local(p, false);
  }

  @Override
  public boolean move(String from, String to) throws IOException {
    Path source = path(from);
    if (!Files.isRegularFile(source)) {
      return false;
    }
    putMoving(to, source);
    deleteEmptyParents(source.getParent());
    return true;
  }

  @Override
  public OptionalLong size(String key) throws IOException {
    Path p = path(key);
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return a.isRegularFile() ? OptionalLong.of(a.size()) : OptionalLong.empty();
    } catch (NoSuchFileException e) {
      return OptionalLong.empty();
    }
  }

  @Override
  public boolean delete(String key) throws IOException {
    Path p = path(key);
    boolean deleted = Files.deleteIfExists(p);
    deleteEmptyParents(p.getParent());
    return deleted;
  }

  @Override
  public int deletePrefix(String prefix) throws IOException {
    Path dir = path(ArtifactKeys.checkPrefix(prefix).substring(0, prefix.length() - 1));
    int count = FileTrees.delete(dir);
    deleteEmptyParents(dir.getParent());
    return count;
  }

  @Override
  public List<StoredObject> list(String prefix) throws IOException {
    Path dir = path(ArtifactKeys.checkPrefix(prefix).substring(0, prefix.length() - 1));
    List<StoredObject> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (var files = Files.walk(dir)) {
      for (Path p : files.toList()) {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          String key = root.relativize(p).toString().replace('\\', '/');
          if (a.isRegularFile() && !key.endsWith(".part")) {
            out.add(new StoredObject(key, a.size(), a.lastModifiedTime().toInstant()));
          }
        } catch (NoSuchFileException e) {
          // deleted while listed
        }
      }
    }
    return out;
  }

  @Override
  public PresignedPut presignPut(String key, Duration ttl) {
    Instant expires = clock.instant().plus(ttl);
    return new PresignedPut(signer.sign(key, expires), expires);
  }

  @Override
  public void check() {
    if (Files.exists(root) && !Files.isWritable(root)) {
      throw new ArtifactUnavailableException("the artifact directory " + root + " is not writable", null);
    }
  }

  @Override
  public void close() {}

  private static Path temporaryBeside(Path target) throws IOException {
    Files.createDirectories(target.getParent());
    return target.resolveSibling(target.getFileName() + "." + UUID.randomUUID() + ".part");
  }

  /** Removes directories left empty below the root's top level (jobs/, results/, uploads/ themselves stay). */
  private void deleteEmptyParents(Path dir) {
    Path d = dir;
    while (d != null && d.startsWith(root) && d.getNameCount() > root.getNameCount() + 1) {
      try {
        Files.deleteIfExists(d);
      } catch (IOException e) {
        return; // not empty, or gone: stop here
      }
      d = d.getParent();
    }
  }
}
