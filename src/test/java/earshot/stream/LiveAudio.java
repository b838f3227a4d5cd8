package earshot.stream;

import java.util.Random;

/**
 * Generated live audio at 16 kHz for stream tests: a "voice" (a tone whose pitch and loudness move like a syllable
 * rhythm, over a little noise), low noise, and digital silence.
 */
public final class LiveAudio {
  private LiveAudio() {}

  public static float[] voice(double seconds, long seed) {
    Random r = new Random(seed);
    int n = (int) (seconds * LiveTranscriber.RATE);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double t = i / (double) LiveTranscriber.RATE;
      double envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t);
      double f = 180 + 60 * Math.sin(2 * Math.PI * 0.7 * t);
      out[i] = (float) (0.3 * envelope * Math.sin(2 * Math.PI * f * t) + 0.1 * envelope
          * Math.sin(2 * Math.PI * 3 * f * t) + 0.005 * (r.nextDouble() * 2 - 1));
    }
    return out;
  }

  public static float[] noise(double seconds, double amplitude, long seed) {
    Random r = new Random(seed);
    float[] out = new float[(int) (seconds * LiveTranscriber.RATE)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (amplitude * (r.nextDouble() * 2 - 1));
    }
    return out;
  }

  public static float[] silence(double seconds) {
    return new float[(int) (seconds * LiveTranscriber.RATE)];
  }

  public static float[] concat(float[]... parts) {
    int n = 0;
    for (float[] p : parts) {
      n += p.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Little-endian pcm_s16le of {@code samples}. */
  public static byte[] s16le(float[] samples) {
    byte[] out = new byte[samples.length * 2];
    for (int i = 0; i < samples.length; i++) {
      short s = (short) Math.round(Math.clamp(samples[i], -1f, 1f) * 32767);
      out[2 * i] = (byte) s;
      out[2 * i + 1] = (byte) (s >> 8);
    }
    return out;
  }

  /** {@code samples} resampled to {@code rate} by linear interpolation (for 24 kHz realtime input). */
  public static float[] at(float[] samples, int rate) {
    int n = (int) ((long) samples.length * rate / LiveTranscriber.RATE);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double p = i * (double) LiveTranscriber.RATE / rate;
      int k = (int) p;
      float a = samples[Math.min(k, samples.length - 1)];
      float b = samples[Math.min(k + 1, samples.length - 1)];
      out[i] = (float) (a + (b - a) * (p - k));
    }
    return out;
  }

  public static float[] slice(float[] all, int from, int to) {
    return java.util.Arrays.copyOfRange(all, from, Math.min(to, all.length));
  }
}
