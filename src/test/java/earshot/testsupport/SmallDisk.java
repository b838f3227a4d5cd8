package earshot.testsupport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted on a directory, for tests of a full disk: {@link #fill()} takes every free byte with a filler
 * file, {@link #free()} deletes it. Mounting needs root, as the test machines and CI have; where it is impossible the
 * test is skipped (an assumption) with the reason.
 */
public final class SmallDisk implements AutoCloseable {
  private static final String FILLER = "filler.bin";
  private final Path dir;

  private SmallDisk(Path dir) {
    this.dir = dir;
  }

  /** Mounts a tmpfs of {@code size} (as mount(8) writes it: {@code 8m}) on {@code dir}, created if missing. */
  public static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString())
        .redirectErrorStream(true).start();
    String output = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Assumptions.assumeTrue(mount.waitFor() == 0,
        "cannot mount a " + size + " tmpfs on " + dir + " (needs root): " + output.strip());
    return new SmallDisk(dir);
  }

  public Path dir() {
    return dir;
  }

  /** Bytes free for an ordinary user of the disk. */
  public long usable() throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }

  /** Writes the filler file until the disk reports no space left; the filler keeps what it got. */
  public void fill() throws IOException {
    try (FileChannel out = FileChannel.open(dir.resolve(FILLER), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      for (int chunk = 1 << 20; chunk >= 512; chunk /= 8) {
        ByteBuffer zeros = ByteBuffer.allocate(chunk);
        try {
          while (true) {
            zeros.clear();
            while (zeros.hasRemaining()) {
              out.write(zeros);
            }
          }
        } catch (IOException full) {
          if (!String.valueOf(full.getMessage()).contains("No space left on device")) {
            throw full;
          }
        }
      }
    }
  }

  /** Fills the disk, then gives {@code bytes} of the filler back: a disk that is nearly full. */
  public void fillLeaving(long bytes) throws IOException {
    fill();
    try (FileChannel filler = FileChannel.open(dir.resolve(FILLER), StandardOpenOption.WRITE)) {
      filler.truncate(Math.max(0, filler.size() - bytes));
    }
  }

  /** Deletes the filler, giving its space back. */
  public void free() throws IOException {
    Files.deleteIfExists(dir.resolve(FILLER));
  }

  /** Unmounts the tmpfs (lazily, should a file on it still be open). */
  @Override
  public void close() throws IOException, InterruptedException {
    new ProcessBuilder("umount", "-l", dir.toString()).inheritIO().start().waitFor();
  }
}
