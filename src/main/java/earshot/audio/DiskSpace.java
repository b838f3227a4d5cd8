package earshot.audio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Room on the disk for decoded PCM: the check made before decoding, and telling a full disk from other write
 * failures. Linux reports ENOSPC (and EDQUOT) only as text, in an {@link IOException}'s message or on ffmpeg's
 * stderr, so the text is what is matched.
 *
 * <p>Threading: blocking filesystem calls; call on a worker thread. Stateless.
 */
public final class DiskSpace {
  private static final String[] FULL = {"No space left on device", "Disk quota exceeded"};

  private DiskSpace() {}

  /**
   * Fails unless the filesystem of {@code dir} has room for {@code seconds} of 16 kHz mono s16le PCM plus
   * {@code reserveBytes} left for everything else that writes there (the job store, other jobs).
   *
   * @throws DiskFullException when it has not
   */
  public static void requireRoomForPcm(Path dir, double seconds, long reserveBytes) throws IOException {
    long pcm = (long) Math.ceil(Math.max(0, seconds) * AudioDecoder.BYTES_PER_SECOND);
    long usable = Files.getFileStore(dir).getUsableSpace();
    if (usable < pcm + reserveBytes) {
      throw new DiskFullException(String.format(Locale.ROOT, "not enough disk space to decode: %.1f s of audio needs"
          + " %d bytes of PCM plus a reserve of %d bytes, and %s has %d bytes free", seconds, pcm, reserveBytes,
          dir, usable));
    }
  }

  /** True when {@code err}, or one of its causes, says the disk (or the user's quota on it) is full. */
  public static boolean isFull(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (isFull(t.getMessage())) {
        return true;
      }
    }
    return false;
  }

  /** True when {@code text} (an error message, or ffmpeg's stderr) says the disk is full. */
  public static boolean isFull(String text) {
    if (text == null) {
      return false;
    }
    for (String s : FULL) {
      if (text.contains(s)) {
        return true;
      }
    }
    return false;
  }
}
