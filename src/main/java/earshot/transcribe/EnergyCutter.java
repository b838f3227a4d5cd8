package earshot.transcribe;

/**
 * Chooses where long audio is cut into whisper windows: near each nominal window boundary, at the quietest moment
 * (lowest short-term RMS) within a few seconds of it, so that a cut rarely splits a word. The last window absorbs
 * a remainder shorter than the search radius instead of leaving a sliver whisper.cpp would reject.
 *
 * <p>Threading: immutable; {@link #nextCut} reads the file, so call it on the job's worker thread.
 */
public final class EnergyCutter {
  /** RMS frame length and hop: 25 ms frames every 10 ms. */
  static final int FRAME = PcmFile.SAMPLE_RATE / 40;
  static final int HOP = PcmFile.SAMPLE_RATE / 100;
  /** Largest search radius either side of the boundary. */
  static final int MAX_SEARCH = 3 * PcmFile.SAMPLE_RATE;

  private final int window;
  private final int search;

  /** @param windowSamples nominal window length in samples (at least one second) */
  public EnergyCutter(int windowSamples) {
    if (windowSamples < PcmFile.SAMPLE_RATE) {
      throw new IllegalArgumentException("window must be at least 1 s");
    }
    this.window = windowSamples;
    this.search = Math.min(MAX_SEARCH, windowSamples / 4);
  }

  public int windowSamples() {
    return window;
  }

  /** The end (exclusive, in samples) of the window that starts at {@code start}. */
  public long nextCut(PcmFile pcm, long start) {
    long total = pcm.samples();
    if (total - start <= (long) window + search) {
      return total;
    }
    long from = start + window - search;
    float[] region = pcm.read(from, 2 * search);
    return from + quietestPoint(region);
  }

  /**
   * The centre of the frame with the lowest RMS in {@code region}; on a tie, the one nearest the middle (the
   * nominal boundary).
   */
  static int quietestPoint(float[] region) {
    int mid = region.length / 2;
    if (region.length < FRAME) {
      return mid;
    }
    // prefix sums of squares make every frame O(1)
    double[] prefix = new double[region.length + 1];
    for (int i = 0; i < region.length; i++) {
      prefix[i + 1] = prefix[i] + (double) region[i] * region[i];
    }
    int best = mid;
    double bestEnergy = Double.MAX_VALUE;
    for (int at = 0; at + FRAME <= region.length; at += HOP) {
      double energy = prefix[at + FRAME] - prefix[at];
      int centre = at + FRAME / 2;
      if (energy < bestEnergy - 1e-9
          || (Math.abs(energy - bestEnergy) <= 1e-9 && Math.abs(centre - mid) < Math.abs(best - mid))) {
        bestEnergy = energy;
        best = centre;
      }
    }
    return best;
  }
}
