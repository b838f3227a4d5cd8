package earshot.audio;

import earshot.jobs.PermanentStageException;
import earshot.jobs.RetryableStageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import ws.schild.jave.EncoderException;
import ws.schild.jave.InputFormatException;
import ws.schild.jave.MultimediaObject;
import ws.schild.jave.info.MultimediaInfo;
import ws.schild.jave.process.ProcessLocator;
import ws.schild.jave.process.ffmpeg.DefaultFFMPEGLocator;

/**
 * Decodes one audio or video file to 16 kHz mono signed 16-bit little-endian raw PCM (what whisper.cpp reads),
 * using the ffmpeg binary bundled with jave. The input is always a file, never a pipe: an m4a whose {@code moov}
 * atom sits at the end decodes to nothing from stdin while ffmpeg still exits 0. For the same reason the decoded
 * sample count is checked against the probed duration.
 *
 * <p>ffmpeg writes the PCM to a pipe and this class writes it to the file, counting the bytes, so a decode can be
 * held to a length: a file whose header hides or understates its length (a FLAC of hours of silence is a few
 * kilobytes) is stopped as soon as its PCM passes the limit, instead of filling the disk first. A write that fails
 * because the disk is full, here or in ffmpeg, is a {@link DiskFullException} (retryable), not a fault of the input.
 *
 * <p>Threading: blocking (an ffprobe-style jave probe, then an ffmpeg process whose output a virtual thread copies
 * to the file). Call it only on a worker thread, e.g. inside {@code StageContext.blocking}, never on an event loop.
 * The ffmpeg process is killed when the calling thread is interrupted, the {@link Cancellation} is cancelled or the
 * output passes the limit. Instances are stateless and thread-safe.
 *
 * <p>jave supplies the binary ({@link ProcessLocator#getExecutablePath()}); the process itself is started with
 * {@link ProcessBuilder} rather than jave's {@code ProcessWrapper}, because the wrapper hides the {@link Process}
 * (no interruptible or timed wait; its exit-code call swallows an interrupt and then throws).
 */
public final class AudioDecoder {
  public static final int SAMPLE_RATE = 16_000;
  public static final int BYTES_PER_SAMPLE = 2;
  /** Bytes of decoded PCM per second of audio: 32,000. */
  public static final int BYTES_PER_SECOND = SAMPLE_RATE * BYTES_PER_SAMPLE;
  /** The {@code maxSeconds} of a decode that may be as long as the input is. */
  public static final double NO_LIMIT = Double.POSITIVE_INFINITY;
  /** The error prefix the API and tests rely on for input that is not decodable audio. */
  public static final String LOAD_FAILURE = "Failed to load audio: ";
  private static final int STDERR_TAIL_CHARS = 1_000;

  /** The decoded PCM file, its length in samples, and the duration those samples cover. */
  public record Decoded(Path pcm, long samples, double durationSeconds) {}

  /**
   * What the input's header says before anything is decoded: its duration in seconds, 0 when it does not say (and a
   * header can understate it: only the decoded PCM is measured).
   */
  public record Probe(double declaredSeconds) {}

  private final ProcessLocator ffmpeg;

  /** A decoder that uses jave's bundled ffmpeg (extracted to {@code java.io.tmpdir} on first use). */
  public AudioDecoder() {
    this(new DefaultFFMPEGLocator());
  }

  public AudioDecoder(ProcessLocator ffmpeg) {
    this.ffmpeg = ffmpeg;
  }

  /** The ffmpeg executable this decoder runs. */
  public String ffmpegPath() {
    return ffmpeg.getExecutablePath();
  }

  /** The ffmpeg arguments (after the executable) that decode {@code input} to 16 kHz mono s16le on stdout. */
  public static List<String> ffmpegArguments(Path input) {
    return List.of("-nostdin", "-hide_banner", "-v", "error", "-i", input.toAbsolutePath().toString(),
        "-vn", "-ac", "1", "-ar", Integer.toString(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1");
  }

  public Decoded decode(Path input, Path pcmOut) {
    return decode(input, pcmOut, Cancellation.none());
  }

  /** Probes and decodes {@code input} into {@code pcmOut} (replaced if present), however long it is. */
  public Decoded decode(Path input, Path pcmOut, Cancellation cancel) {
    return decode(input, probe(input), pcmOut, cancel, NO_LIMIT);
  }

  /**
   * Decodes {@code input}, already {@link #probe probed}, into {@code pcmOut} (replaced if present), and stops ffmpeg
   * as soon as the PCM passes {@code maxSeconds} of audio (the file then holds exactly that much).
   *
   * @throws PermanentStageException "Failed to load audio: …" when the input is not decodable audio
   * @throws AudioTooLongException when the audio is longer than {@code maxSeconds}
   * @throws DiskFullException when the PCM could not be written because the disk is full
   * @throws RetryableStageException when ffmpeg could not be run or the output could not be written
   * @throws DecodeCancelledException when cancelled or interrupted (ffmpeg is killed first)
   */
  public Decoded decode(Path input, Probe probe, Path pcmOut, Cancellation cancel, double maxSeconds) {
    long maxBytes = maxSeconds == NO_LIMIT ? Long.MAX_VALUE
        : (long) Math.floor(maxSeconds * SAMPLE_RATE) * BYTES_PER_SAMPLE;
    FfmpegRun run = runFfmpeg(input, pcmOut, cancel, maxBytes);
    String stderr = run.stderr();
    double probedSeconds = probe.declaredSeconds();
    long samples = run.bytes() / BYTES_PER_SAMPLE;
    double seconds = (double) samples / SAMPLE_RATE;
    if (samples == 0) {
      throw new PermanentStageException(LOAD_FAILURE + "no audio samples decoded" + detail(stderr));
    }
    if (probedSeconds > 0 && seconds < probedSeconds * 0.5 && probedSeconds - seconds > 1.0) {
      throw new PermanentStageException(String.format(java.util.Locale.ROOT,
          "%sdecoded %.2f s of audio but the file declares %.2f s (truncated or corrupt)%s",
          LOAD_FAILURE, seconds, probedSeconds, detail(stderr)));
    }
    return new Decoded(pcmOut, samples, seconds);
  }

  /**
   * Reads the input's header (an ffmpeg process that decodes nothing).
   *
   * @throws PermanentStageException "Failed to load audio: …" for a file that is empty, not media or has no audio
   * @throws RetryableStageException when ffmpeg could not be run
   */
  public Probe probe(Path input) {
    try {
      if (!Files.isRegularFile(input)) {
        throw new PermanentStageException(LOAD_FAILURE + "not a regular file: " + input);
      }
      if (Files.size(input) == 0) {
        throw new PermanentStageException(LOAD_FAILURE + "empty file: " + input);
      }
    } catch (IOException e) {
      throw new PermanentStageException(LOAD_FAILURE + "cannot read " + input + ": " + e.getMessage(), e);
    }
    MultimediaInfo info;
    try {
      info = new MultimediaObject(input.toFile(), ffmpeg).getInfo();
    } catch (InputFormatException e) {
      throw new PermanentStageException(LOAD_FAILURE + "Invalid file format" + detail(e.getMessage()), e);
    } catch (EncoderException e) {
      throw new RetryableStageException("Could not probe " + input + ": " + e.getMessage(), e);
    }
    if (info.getAudio() == null) {
      throw new PermanentStageException(LOAD_FAILURE + "no audio stream in " + input.getFileName());
    }
    return new Probe(Math.max(0, info.getDuration()) / 1000.0);
  }

  /** What ffmpeg wrote: the PCM bytes and the tail of its stderr. */
  private record FfmpegRun(long bytes, String stderr) {}

  /**
   * Runs ffmpeg to completion while a virtual thread copies its output into {@code pcmOut}; fails on a non-zero exit,
   * and stops ffmpeg through {@code stop} (the caller's cancel, or the copy passing {@code maxBytes} or failing).
   */
  private FfmpegRun runFfmpeg(Path input, Path pcmOut, Cancellation cancel, long maxBytes) {
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add(ffmpeg.getExecutablePath());
    pb.command().addAll(ffmpegArguments(input));
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new RetryableStageException("Could not start ffmpeg: " + e.getMessage(), e);
    }
    Cancellation stop = new Cancellation();
    StderrTail tail = new StderrTail(process.getErrorStream());
    Thread drainer = Thread.ofVirtual().name("ffmpeg-stderr").start(tail);
    PcmCopy copy = new PcmCopy(process.getInputStream(), pcmOut, maxBytes, stop);
    Thread copier = Thread.ofVirtual().name("ffmpeg-pcm").start(copy);
    try (Cancellation.Registration byCaller = cancel.onCancel(stop::cancel);
         Cancellation.Registration kill = stop.onCancel(process::destroyForcibly)) {
      closeQuietly(process);
      int exit = process.waitFor();
      copier.join();
      drainer.join();
      if (cancel.isCancelled()) {
        throw new DecodeCancelledException("decode of " + input.getFileName() + " cancelled");
      }
      if (copy.overLimit) {
        double limit = (double) maxBytes / BYTES_PER_SECOND;
        throw new AudioTooLongException(String.format(java.util.Locale.ROOT,
            "%s decodes to more than %.1f s of audio; decoding stopped there", input.getFileName(), limit), limit, copy.bytes);
      }
      if (copy.failure != null) {
        throw writeFailure(pcmOut, copy.failure);
      }
      // ffmpeg itself writes only to the pipe today, but its ENOSPC would not be the input's fault either
      if (exit != 0 && DiskSpace.isFull(tail.text())) {
        throw new DiskFullException("ffmpeg could not write: the disk is full" + detail(tail.text()));
      }
      if (exit != 0) {
        throw new PermanentStageException(LOAD_FAILURE + "ffmpeg exited with " + exit + detail(tail.text()));
      }
      return new FfmpegRun(copy.bytes, tail.text());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new DecodeCancelledException("decode of " + input.getFileName() + " interrupted");
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  private static RetryableStageException writeFailure(Path pcmOut, IOException e) {
    return DiskSpace.isFull(e)
        ? new DiskFullException("could not write " + pcmOut + ": the disk is full (" + e.getMessage() + ")", e)
        : new RetryableStageException("could not write " + pcmOut + ": " + e.getMessage(), e);
  }

  private static void closeQuietly(Process process) {
    try {
      process.getOutputStream().close(); // -nostdin already; this just releases the pipe
    } catch (IOException ignored) {
      // nothing to release
    }
  }

  private static String detail(String text) {
    return text == null || text.isBlank() ? "" : " (" + text.strip() + ")";
  }

  /**
   * Copies ffmpeg's PCM into the file, up to {@code maxBytes}: at the limit, or when a write fails, it cancels
   * {@code stop} (which kills ffmpeg) and records why. Its fields are read after {@link Thread#join}.
   */
  private static final class PcmCopy implements Runnable {
    private final InputStream in;
    private final Path out;
    private final long maxBytes;
    private final Cancellation stop;
    long bytes;
    boolean overLimit;
    IOException failure;

    PcmCopy(InputStream in, Path out, long maxBytes, Cancellation stop) {
      this.in = in;
      this.out = out;
      this.maxBytes = maxBytes;
      this.stop = stop;
    }

    @Override
    public void run() {
      byte[] buf = new byte[1 << 16];
      try (in; OutputStream pcm = Files.newOutputStream(out)) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (n > maxBytes - bytes) {
            pcm.write(buf, 0, (int) (maxBytes - bytes));
            bytes = maxBytes;
            overLimit = true;
            stop.cancel();
            return;
          }
          pcm.write(buf, 0, n);
          bytes += n;
        }
      } catch (IOException e) {
        failure = e;
        stop.cancel(); // ffmpeg would block on a full pipe that nobody reads
      }
    }
  }

  /** Reads a stream to its end, keeping only the last {@link #STDERR_TAIL_CHARS} characters. */
  private static final class StderrTail implements Runnable {
    private final InputStream in;
    private final StringBuilder tail = new StringBuilder();

    StderrTail(InputStream in) {
      this.in = in;
    }

    @Override
    public void run() {
      byte[] buf = new byte[4096];
      try (in) {
        int n;
        while ((n = in.read(buf)) > 0) {
          append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
      } catch (IOException ignored) {
        // the process was killed: what was read so far is the tail
      }
    }

    private synchronized void append(String s) {
      tail.append(s);
      if (tail.length() > 2 * STDERR_TAIL_CHARS) {
        tail.delete(0, tail.length() - STDERR_TAIL_CHARS);
      }
    }

    synchronized String text() {
      return tail.length() > STDERR_TAIL_CHARS ? tail.substring(tail.length() - STDERR_TAIL_CHARS) : tail.toString();
    }
  }
}
