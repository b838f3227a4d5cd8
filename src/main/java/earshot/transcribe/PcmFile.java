package earshot.transcribe;

import earshot.jobs.PermanentStageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The converted audio of a job: 16 kHz mono signed 16-bit little-endian PCM without a header (payload
 * {@code pcm_file}), read by sample range so that long audio is never held in memory at once.
 *
 * <p>Threading: blocking file I/O, one instance per job on one worker thread at a time.
 */
public final class PcmFile implements AutoCloseable {
  public static final int SAMPLE_RATE = 16_000;

  private final Path path;
  private final FileChannel channel;
  private final long samples;

  private PcmFile(Path path, FileChannel channel, long samples) {
    this.path = path;
    this.channel = channel;
    this.samples = samples;
  }

  /**
   * Opens {@code path}.
   *
   * @throws PermanentStageException when the file is missing or holds no samples
   */
  public static PcmFile open(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new PermanentStageException("converted audio " + path + " does not exist");
    }
    try {
      FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
      long n = ch.size() / 2;
      if (n == 0) {
        ch.close();
        throw new PermanentStageException("the audio contains no samples");
      }
      return new PcmFile(path, ch, n);
    } catch (IOException e) {
      throw new PermanentStageException("cannot read converted audio " + path + ": " + e.getMessage(), e);
    }
  }

  public long samples() {
    return samples;
  }

  public double durationSeconds() {
    return samples / (double) SAMPLE_RATE;
  }

  /** Samples {@code [from, from + count)} as floats in [-1, 1); fewer when the file ends first. */
  public float[] read(long from, int count) {
    int n = (int) Math.max(0, Math.min(count, samples - from));
    float[] out = new float[n];
    ByteBuffer buf = ByteBuffer.allocate(Math.min(n * 2, 1 << 16)).order(ByteOrder.LITTLE_ENDIAN);
    int done = 0;
    try {
      while (done < n) {
        buf.clear().limit(Math.min(buf.capacity(), (n - done) * 2));
        long at = (from + done) * 2;
        while (buf.hasRemaining()) {
          if (channel.read(buf, at + buf.position()) < 0) {
            throw new IOException("file shrank while reading");
          }
        }
        buf.flip();
        while (buf.remaining() >= 2) {
          out[done++] = buf.getShort() / 32768f;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + path, e);
    }
    return out;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
