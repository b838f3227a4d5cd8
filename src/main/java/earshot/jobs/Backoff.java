package earshot.jobs;

import java.time.Duration;
import java.util.random.RandomGenerator;

/** Exponential backoff with "equal jitter": half the step is fixed, half is random, capped at {@code max}. */
public record Backoff(Duration base, Duration max) {

  public Duration delayFor(int retryCount, RandomGenerator random) {
    if (base.isZero()) {
      return Duration.ZERO;
    }
    long baseMs = base.toMillis();
    long step = baseMs << Math.min(retryCount, 30);
    if (step <= 0 || step > max.toMillis()) {
      step = max.toMillis();
    }
    long half = step / 2;
    return Duration.ofMillis(half + (half == 0 ? 0 : random.nextLong(half + 1)));
  }
}
