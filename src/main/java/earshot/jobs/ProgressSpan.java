package earshot.jobs;

/**
 * The part of a job's progress, {@code from} to {@code to} (0–100), that one of its stages covers: while the stage
 * runs at its own {@code p} percent, the job is at {@code from + (to - from) * p / 100}. The store keeps the running
 * stage's span on the job row ({@code progress_from}, {@code progress_to}) and applies that formula to every
 * progress report, never letting the job's progress go down.
 */
public record ProgressSpan(int from, int to) {
  public ProgressSpan {
    if (from < 0 || to > 100 || from > to) {
      throw new IllegalArgumentException("progress span must lie within 0..100, got " + from + ".." + to);
    }
  }
}
