package earshot.tiers;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** Daily minutes count per UTC day; these are the two facts about days the rest of the code needs. */
public final class UtcDay {
  private UtcDay() {}

  public static LocalDate today(Clock clock) {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  /** Whole seconds until the next UTC midnight, at least 1: the Retry-After of a daily-minutes refusal. */
  public static long secondsToMidnight(Clock clock) {
    var next = today(clock).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    return Math.max(1, (Duration.between(clock.instant(), next).toMillis() + 999) / 1000);
  }
}
