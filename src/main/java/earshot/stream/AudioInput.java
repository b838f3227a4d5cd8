package earshot.stream;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Turns a stream's binary frames into 16 kHz mono samples for {@link LiveTranscriber}: raw PCM ({@code pcm_s16le},
 * {@code pcm_f32le}) at any rate is converted in place, frames of any size (a sample split between two frames is
 * kept for the next); compressed audio ({@code opus}, {@code webm}) goes through an ffmpeg process ({@link FfmpegInput}).
 *
 * <p>Threading: {@link #write} and the sink run on the stream's event loop.
 */
public interface AudioInput {
  /** The encodings a config frame may name. */
  enum Encoding {
    PCM_S16LE, PCM_F32LE, OPUS, WEBM;

    public static Encoding parse(String s) {
      return valueOf(s.toUpperCase(Locale.ROOT));
    }

    public boolean compressed() {
      return this == OPUS || this == WEBM;
    }
  }

  void write(Buffer frame);

  /** No more frames: completes when every sample was handed to the sink. */
  Future<Void> end();

  /** Stops at once (a closed stream); idempotent. */
  void close();

  /** Raw PCM in little-endian samples at {@code rate}, mono. */
  static AudioInput raw(Encoding encoding, int rate, Consumer<float[]> sink) {
    return new RawPcm(encoding == Encoding.PCM_F32LE ? 4 : 2, new Resampler(rate), sink);
  }

  /** Raw little-endian PCM; a trailing partial sample waits for the next frame. */
  final class RawPcm implements AudioInput {
    private final int width;
    private final Resampler resampler;
    private final Consumer<float[]> sink;
    private final byte[] carry = new byte[4];
    private int carried;

    RawPcm(int width, Resampler resampler, Consumer<float[]> sink) {
      this.width = width;
      this.resampler = resampler;
      this.sink = sink;
    }

    @Override
    public void write(Buffer frame) {
      byte[] bytes = frame.getBytes();
      int total = carried + bytes.length;
      int n = total / width;
      float[] out = new float[n];
      int pos = 0;
      for (int i = 0; i < n; i++) {
        int b0 = byteAt(bytes, pos++);
        int b1 = byteAt(bytes, pos++);
        if (width == 2) {
          out[i] = (short) ((b1 << 8) | b0) / 32768f;
        } else {
          int b2 = byteAt(bytes, pos++);
          int b3 = byteAt(bytes, pos++);
          float f = Float.intBitsToFloat((b3 << 24) | (b2 << 16) | (b1 << 8) | b0);
          out[i] = Float.isFinite(f) ? Math.clamp(f, -1f, 1f) : 0f;
        }
      }
      int rest = total - n * width;
      byte[] next = new byte[rest];
      for (int i = 0; i < rest; i++) {
        next[i] = (byte) byteAt(bytes, pos++);
      }
      System.arraycopy(next, 0, carry, 0, rest);
      carried = rest;
      sink.accept(resampler.apply(out));
    }

    /** Byte {@code pos} of the carried bytes followed by {@code bytes}. */
    private int byteAt(byte[] bytes, int pos) {
      return (pos < carried ? carry[pos] : bytes[pos - carried]) & 0xff;
    }

    @Override
    public Future<Void> end() {
      return Future.succeededFuture();
    }

    @Override
    public void close() {}
  }
}
