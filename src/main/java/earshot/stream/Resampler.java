package earshot.stream;

/**
 * Streaming conversion of mono audio at any rate to 16 kHz by linear interpolation, carrying its position and last
 * sample across frames so frame boundaries leave no seams. Linear interpolation aliases a little above 8 kHz when
 * downsampling; whisper.cpp's mel filters stop at 8 kHz, so that costs nothing it would hear.
 *
 * <p>Threading: not thread-safe; one per stream.
 */
public final class Resampler {
  private final double step; // input samples per output sample
  private double pos;        // position of the next output sample, relative to the first pending input sample
  private float last;        // the input sample before the current frame
  private boolean started;

  public Resampler(int inputRate) {
    this.step = inputRate / (double) LiveTranscriber.RATE;
  }

  public float[] apply(float[] in) {
    if (step == 1.0) {
      return in;
    }
    int max = (int) Math.ceil((in.length + 1) / step) + 1;
    float[] out = new float[max];
    int n = 0;
    // index -1 is `last` (the previous frame's final sample), so interpolation spans the boundary
    double p = started ? pos - 1 : pos;
    while (p <= in.length - 1) {
      int i = (int) Math.floor(p);
      double f = p - i;
      float a = i < 0 ? last : in[i];
      float b = in[Math.min(i + 1, in.length - 1)];
      out[n++] = (float) (a + (b - a) * f);
      p += step;
    }
    pos = p - (in.length - 1); // relative to the last sample of this frame, which becomes `last`
    if (in.length > 0) {
      last = in[in.length - 1];
      started = true;
    }
    return java.util.Arrays.copyOf(out, n);
  }
}
