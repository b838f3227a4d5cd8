package earshot.audio;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import ws.schild.jave.process.ffmpeg.DefaultFFMPEGLocator;

/**
 * Generates test audio at test time: a repeating 3-second pattern (1 s of a 440 Hz tone, 1 s of silence, 1 s of
 * seeded white noise) written as a 16-bit PCM WAV, then encoded with jave's bundled ffmpeg into the formats the
 * decoder supports. Nothing binary is checked in. Blocking; test threads only.
 */
public final class TestAudio {
  /** Length of one tone/silence/noise pattern, in seconds. */
  public static final int PATTERN_SECONDS = 3;

  /** A format the decoder supports, with the ffmpeg encoder arguments that produce it from a WAV. */
  public enum Format {
    WAV("wav", List.of()),
    MP3("mp3", List.of("-c:a", "libmp3lame", "-b:a", "64k")),
    M4A("m4a", List.of("-c:a", "aac", "-b:a", "64k")),
    FLAC("flac", List.of("-c:a", "flac")),
    OGG_OPUS("ogg", List.of("-c:a", "libopus", "-b:a", "32k")),
    WEBM_OPUS("webm", List.of("-c:a", "libopus", "-b:a", "32k")),
    /** An MPEG-4 video (a tiny testsrc picture track) with an AAC audio track. */
    MP4_VIDEO("mp4", List.of("-c:a", "aac", "-b:a", "64k"));

    final String extension;
    final List<String> audioCodec;

    Format(String extension, List<String> audioCodec) {
      this.extension = extension;
      this.audioCodec = audioCodec;
    }
  }

  private TestAudio() {}

  public static String ffmpegPath() {
    return new DefaultFFMPEGLocator().getExecutablePath();
  }

  /**
   * Writes {@code seconds} of the pattern as a 16-bit WAV at {@code sampleRate} with {@code channels} channels
   * (the same signal on every channel).
   */
  public static Path writeWav(Path file, double seconds, int sampleRate, int channels) throws IOException {
    long frames = Math.round(seconds * sampleRate);
    long dataBytes = frames * channels * 2;
    Random noise = new Random(42);
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
      header.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt((int) (36 + dataBytes))
          .put("WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(16)
          .putShort((short) 1).putShort((short) channels).putInt(sampleRate)
          .putInt(sampleRate * channels * 2).putShort((short) (channels * 2)).putShort((short) 16)
          .put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt((int) dataBytes);
      out.write(header.array());
      byte[] frame = new byte[channels * 2];
      for (long i = 0; i < frames; i++) {
        short s = sample(i, sampleRate, noise);
        for (int c = 0; c < channels; c++) {
          frame[2 * c] = (byte) s;
          frame[2 * c + 1] = (byte) (s >> 8);
        }
        out.write(frame);
      }
    }
    return file;
  }

  private static short sample(long i, int sampleRate, Random noise) {
    double t = (double) i / sampleRate;
    int part = (int) (t % PATTERN_SECONDS);
    double v = switch (part) {
      case 0 -> 0.5 * Math.sin(2 * Math.PI * 440 * t);
      case 1 -> 0.0;
      default -> 0.3 * (noise.nextDouble() * 2 - 1);
    };
    return (short) Math.round(v * Short.MAX_VALUE);
  }

  /** Encodes {@code wav} into {@code format} in {@code dir}; returns the new file. */
  public static Path encode(Path wav, Format format, Path dir, String baseName) throws IOException {
    Path out = dir.resolve(baseName + "." + format.extension);
    if (format == Format.WAV) {
      return Files.copy(wav, out);
    }
    List<String> cmd = new ArrayList<>(List.of(ffmpegPath(), "-nostdin", "-hide_banner", "-v", "error"));
    if (format == Format.MP4_VIDEO) {
      cmd.addAll(List.of("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-i", wav.toString(),
          "-map", "0:v", "-map", "1:a", "-c:v", "mpeg4", "-shortest"));
    } else {
      cmd.addAll(List.of("-i", wav.toString(), "-vn"));
    }
    cmd.addAll(format.audioCodec);
    cmd.addAll(List.of("-y", out.toString()));
    run(cmd);
    return out;
  }

  /** Runs a command to completion; fails with its output when it exits non-zero. */
  public static void run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    try {
      int exit = p.waitFor();
      if (exit != 0) {
        throw new IOException(String.join(" ", cmd) + " exited with " + exit + ": " + output);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }

  /** Root-mean-square level (0–1) of 16 kHz s16le PCM between {@code from} and {@code to} seconds. */
  public static double rms(Path pcm, double from, double to) throws IOException {
    byte[] all = Files.readAllBytes(pcm);
    ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    int start = (int) (from * AudioDecoder.SAMPLE_RATE);
    int end = Math.min((int) (to * AudioDecoder.SAMPLE_RATE), all.length / 2);
    double sum = 0;
    for (int i = start; i < end; i++) {
      double v = buf.getShort(2 * i) / (double) Short.MAX_VALUE;
      sum += v * v;
    }
    return Math.sqrt(sum / Math.max(1, end - start));
  }
}
