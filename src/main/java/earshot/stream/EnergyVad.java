package earshot.stream;

/**
 * Voice activity from frame energy against an adaptive noise floor, in 20 ms frames of 16 kHz audio.
 * <ul>
 *   <li>A frame is loud when its RMS is {@code snrDb} above the noise floor and above an absolute floor
 *       ({@value #MIN_SPEECH_DBFS} dBFS, so digital silence and hiss never count).</li>
 *   <li>The noise floor follows quiet frames quickly downwards and slowly upwards, and drifts up very slowly during
 *       speech, so a steady hum becomes background within tens of seconds while a voice stays above it.</li>
 *   <li>Speech starts after {@value #ONSET_FRAMES} loud frames in a row and stops after {@code silenceMs} without a
 *       loud frame (the endpointing delay).</li>
 * </ul>
 * Chosen over Silero VAD because it needs no ONNX runtime or model file in the jar, costs nothing next to inference,
 * and runs on the API node that owns the socket; its weakness is that any loud non-speech (music, a door) counts as
 * speech, which then reaches whisper.cpp, whose non-speech tokens are suppressed.
 *
 * <p>Threading: not thread-safe; one per stream, used on the stream's event loop.
 */
public final class EnergyVad {
  public static final int FRAME = 320; // 20 ms at 16 kHz
  static final double MIN_SPEECH_DBFS = -50;
  static final int ONSET_FRAMES = 2;
  private static final double MIN_FLOOR = Math.pow(10, -70 / 20.0);

  /** What one call to {@link #accept} saw: a speech start or stop, with the sample where it happened. */
  public record Change(boolean started, long sample) {}

  private final double snr;
  private final int silenceFrames;
  private double floor = Math.pow(10, -60 / 20.0);
  private final float[] frame = new float[FRAME];
  private int filled;
  private long frameStart; // absolute sample index of frame[0]
  private boolean speech;
  private int loudRun;
  private int quietRun;
  private long speechStart = -1;
  private long lastLoudEnd = -1;

  /**
   * @param snrDb how far above the noise floor a frame must be to count as loud
   * @param silenceMs how long speech must be absent before it is over
   */
  public EnergyVad(double snrDb, int silenceMs) {
    this.snr = Math.pow(10, snrDb / 20.0);
    this.silenceFrames = Math.max(1, silenceMs / 20);
  }

  /** OpenAI's {@code server_vad.threshold} (0–1) as a margin over the noise floor: 0.5 is 9 dB, 1.0 is 15 dB. */
  public static double snrForThreshold(double threshold) {
    return 3 + 12 * Math.clamp(threshold, 0, 1);
  }

  /** Feeds samples; yields each speech start or stop they contain, in order, via {@code changes}. */
  public void accept(float[] samples, int from, int length, java.util.function.Consumer<Change> changes) {
    for (int i = from; i < from + length; i++) {
      frame[filled++] = samples[i];
      if (filled == FRAME) {
        Change c = frame();
        if (c != null) {
          changes.accept(c);
        }
        frameStart += FRAME;
        filled = 0;
      }
    }
  }

  private Change frame() {
    double sum = 0;
    for (float v : frame) {
      sum += v * v;
    }
    double rms = Math.sqrt(sum / FRAME);
    boolean loud = rms > floor * snr && 20 * Math.log10(Math.max(rms, 1e-12)) > MIN_SPEECH_DBFS;
    if (!loud) {
      // Down fast, up slowly: quiet frames are what the floor is made of.
      floor = Math.max(MIN_FLOOR, rms < floor ? floor * 0.5 + rms * 0.5 : floor * 0.98 + rms * 0.02);
    } else {
      floor = floor * 0.999 + rms * 0.001;
    }
    if (loud) {
      loudRun++;
      quietRun = 0;
      lastLoudEnd = frameStart + FRAME;
      if (!speech && loudRun >= ONSET_FRAMES) {
        speech = true;
        speechStart = frameStart + FRAME - (long) ONSET_FRAMES * FRAME;
        return new Change(true, speechStart);
      }
    } else {
      loudRun = 0;
      quietRun++;
      if (speech && quietRun >= silenceFrames) {
        speech = false;
        return new Change(false, lastLoudEnd);
      }
    }
    return null;
  }

  /** True while speech is going on. */
  public boolean inSpeech() {
    return speech;
  }

  /** The sample after the last loud frame, or -1 before any. */
  public long lastLoudEnd() {
    return lastLoudEnd;
  }
}
