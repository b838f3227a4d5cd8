package earshot.transcribe;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Generated test audio written as 16 kHz mono s16le PCM, the format audio_convert produces. */
public final class TestAudio {
  private TestAudio() {}

  /** Amplitude-modulated tones with a little noise: speech-like energy that whisper will decode into something. */
  public static float[] tones(double seconds, long seed) {
    int n = (int) (seconds * PcmFile.SAMPLE_RATE);
    float[] a = new float[n];
    Random noise = new Random(seed);
    for (int i = 0; i < n; i++) {
      double t = i / (double) PcmFile.SAMPLE_RATE;
      double envelope = 0.5 + 0.5 * Math.sin(2 * Math.PI * 2.5 * t);
      a[i] = (float) (0.3 * envelope * (Math.sin(2 * Math.PI * 210 * t) + 0.4 * Math.sin(2 * Math.PI * 1250 * t))
          + 0.02 * (noise.nextDouble() * 2 - 1));
    }
    return a;
  }

  /** Silences {@code [fromSeconds, toSeconds)} in place. */
  public static float[] silence(float[] a, double fromSeconds, double toSeconds) {
    int from = (int) (fromSeconds * PcmFile.SAMPLE_RATE);
    int to = Math.min(a.length, (int) (toSeconds * PcmFile.SAMPLE_RATE));
    for (int i = from; i < to; i++) {
      a[i] = 0;
    }
    return a;
  }

  public static Path writePcm(Path file, float[] samples) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
      for (float f : samples) {
        short s = (short) Math.round(Math.max(-1f, Math.min(1f, f)) * 32767f);
        out.writeShort(Short.reverseBytes(s));
      }
    }
    return file;
  }
}
