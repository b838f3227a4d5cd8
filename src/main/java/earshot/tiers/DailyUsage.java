package earshot.tiers;

import java.time.LocalDate;

/** An owner's audio seconds on one UTC day: settled by completed jobs, and reserved by jobs still running. */
public record DailyUsage(String ownerUserId, LocalDate day, double usedSeconds, double reservedSeconds) {

  public double totalSeconds() {
    return usedSeconds + reservedSeconds;
  }
}
