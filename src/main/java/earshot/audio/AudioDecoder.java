package earshot.audio;

import earshot.pipeline.PermanentStageException;
import earshot.pipeline.RetryableStageException;
import java.io.IOException;
import java.io.InputStream;
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
 * <p>Threading: blocking (an ffprobe-style jave probe, then an ffmpeg process). Call it only on a worker thread,
 * e.g. inside {@code StageContext.blocking}, never on an event loop. The ffmpeg process is killed when the calling
 * thread is interrupted or the {@link Cancellation} is cancelled. Instances are stateless and thread-safe.
 *
 * <p>jave supplies the binary ({@link ProcessLocator#getExecutablePath()}); the process itself is started with
 * {@link ProcessBuilder} rather than jave's {@code ProcessWrapper}, because the wrapper hides the {@link Process}
 * (no interruptible or timed wait; its exit-code call swallows an interrupt and then throws).
 */
public final class AudioDecoder {
  public static final int SAMPLE_RATE = 16_000;
  public static final int BYTES_PER_SAMPLE = 2;
  /** The error prefix the API and tests rely on for input that is not decodable audio. */
  public static final String LOAD_FAILURE = "Failed to load audio: ";
  private static final int STDERR_TAIL_CHARS = 1_000;

  /** The decoded PCM file, its length in samples, and the duration those samples cover. */
  public record Decoded(Path pcm, long samples, double durationSeconds) {}

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

  /** The ffmpeg arguments (after the executable) that decode {@code input} into {@code pcmOut}. */
  public static List<String> ffmpegArguments(Path input, Path pcmOut) {
    return List.of("-nostdin", "-hide_banner", "-v", "error", "-i", input.toAbsolutePath().toString(),
        "-vn", "-ac", "1", "-ar", Integer.toString(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le",
        "-y", pcmOut.toAbsolutePath().toString());
  }

  public Decoded decode(Path input, Path pcmOut) {
    return decode(input, pcmOut, Cancellation.none());
  }

  /**
   * Decodes {@code input} into {@code pcmOut} (replaced if present).
   *
   * @throws PermanentStageException "Failed to load audio: …" when the input is not decodable audio
   * @throws RetryableStageException when ffmpeg could not be run or the output could not be written
   * @throws DecodeCancelledException when cancelled or interrupted (ffmpeg is killed first)
   */
  public Decoded decode(Path input, Path pcmOut, Cancellation cancel) {
    double probedSeconds = probe(input);
    String stderr = runFfmpeg(input, pcmOut, cancel);
    long bytes;
    try {
      bytes = Files.size(pcmOut);
    } catch (IOException e) {
      throw new PermanentStageException(LOAD_FAILURE + "ffmpeg produced no output" + detail(stderr), e);
    }
    long samples = bytes / BYTES_PER_SAMPLE;
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

  /** The declared duration in seconds (0 when unknown); refuses files that are empty or have no audio stream. */
  private double probe(Path input) {
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
    return Math.max(0, info.getDuration()) / 1000.0;
  }

  /** Runs ffmpeg to completion and returns the tail of its stderr; fails on a non-zero exit. */
  private String runFfmpeg(Path input, Path pcmOut, Cancellation cancel) {
    ProcessBuilder pb = new ProcessBuilder();
    pb.command().add(ffmpeg.getExecutablePath());
    pb.command().addAll(ffmpegArguments(input, pcmOut));
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new RetryableStageException("Could not start ffmpeg: " + e.getMessage(), e);
    }
    StderrTail tail = new StderrTail(process.getErrorStream());
    Thread drainer = Thread.ofVirtual().name("ffmpeg-stderr").start(tail);
    try (Cancellation.Registration ignored = cancel.onCancel(process::destroyForcibly)) {
      closeQuietly(process);
      int exit = process.waitFor();
      drainer.join();
      if (cancel.isCancelled()) {
        throw new DecodeCancelledException("decode of " + input.getFileName() + " cancelled");
      }
      if (exit != 0) {
        throw new PermanentStageException(LOAD_FAILURE + "ffmpeg exited with " + exit + detail(tail.text()));
      }
      return tail.text();
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
