package earshot.audio;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Decompression bombs, made at test time: small files that decode to far more audio than their size suggests,
 * some with headers that hide or understate how much. Nothing binary is checked in. Blocking; test threads only.
 */
public final class AudioBombs {
  private AudioBombs() {}

  /**
   * {@code seconds} of silence as an 8 kHz FLAC with the largest frames (10 hours is about 72 KB and 1.15 GB of
   * 16 kHz PCM), made by jave's bundled ffmpeg from its {@code anullsrc} source. Its header declares the length.
   */
  public static Path silentFlac(Path file, int seconds) throws IOException {
    TestAudio.run(List.of(TestAudio.ffmpegPath(), "-nostdin", "-v", "error", "-f", "lavfi",
        "-i", "anullsrc=r=8000:cl=mono", "-t", Integer.toString(seconds), "-c:a", "flac", "-frame_size", "65535",
        "-y", file.toString()));
    return file;
  }

  /** A copy of {@code flac} whose STREAMINFO claims {@code samples} samples in all (it holds what it held). */
  public static Path flacClaimingSamples(Path flac, Path out, long samples) throws IOException {
    byte[] bytes = Files.readAllBytes(flac);
    if (bytes[0] != 'f' || bytes[1] != 'L' || bytes[2] != 'a' || bytes[3] != 'C' || (bytes[4] & 0x7f) != 0) {
      throw new IOException(flac + " does not start with a FLAC STREAMINFO block");
    }
    // STREAMINFO starts at byte 8; bytes 18..25 are rate (20 bits), channels (3), bits (5), total samples (36).
    ByteBuffer fields = ByteBuffer.wrap(bytes, 18, 8);
    long packed = fields.getLong();
    packed = (packed & ~((1L << 36) - 1)) | samples;
    ByteBuffer.wrap(bytes, 18, 8).putLong(packed);
    return Files.write(out, bytes);
  }

  /**
   * A 16-bit mono PCM WAV of {@code dataBytes} of silence. With {@code declareLength} its header is honest (at 1 Hz,
   * 64 KB declare 9.1 hours); without, the data and RIFF sizes are 0xFFFFFFFF (unknown, as when streamed) and the
   * byte rate is 3.2 MB/s whatever the sample rate, so ffmpeg's guess from it is far too short (at 1 Hz it gives
   * up: {@code Duration: N/A}; two minutes at 16 kHz pass for 1.2 s).
   */
  public static Path silentWav(Path file, int sampleRate, long dataBytes, boolean declareLength) throws IOException {
    int byteRate = declareLength ? sampleRate * 2 : 3_200_000;
    int dataSize = declareLength ? (int) dataBytes : 0xFFFFFFFF;
    int riffSize = declareLength ? (int) (36 + dataBytes) : 0xFFFFFFFF;
    ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    header.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(riffSize)
        .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
        .putShort((short) 1).putShort((short) 1).putInt(sampleRate).putInt(byteRate)
        .putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(dataSize);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(header.array());
      byte[] zeros = new byte[1 << 16];
      for (long left = dataBytes; left > 0; left -= zeros.length) {
        out.write(zeros, 0, (int) Math.min(zeros.length, left));
      }
    }
    return file;
  }

  /** Bytes in the files under {@code dir} (0 when it does not exist). */
  public static long bytesUnder(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (var files = Files.walk(dir)) {
      long total = 0;
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        total += Files.size(p);
      }
      return total;
    }
  }
}
