package earshot.tiers;

import java.util.Locale;
import java.util.Optional;

/**
 * The decisions of the tier limits, once for both stores: the stores read the counts inside their transactions and
 * ask here whether they fit. Pure functions; any thread.
 */
public final class QuotaRules {
  private QuotaRules() {}

  /** A submit when the owner has {@code unfinished} queued or processing jobs. */
  public static Optional<QuotaRefusal> queuedJobs(Tier tier, long unfinished) {
    if (tier.maxQueuedJobs() == null || unfinished < tier.maxQueuedJobs()) {
      return Optional.empty();
    }
    return Optional.of(new QuotaRefusal(QuotaType.QUEUED_JOBS, tier.name(), tier.maxQueuedJobs(), unfinished,
        "tier " + tier.name() + " allows " + tier.maxQueuedJobs() + " unfinished jobs and " + unfinished
            + " are queued or processing; submit again when some have finished", null));
  }

  /** A submit on a day whose minutes may be used up; waiting for the next UTC midnight helps. */
  public static Optional<QuotaRefusal> dailyAtSubmit(Tier tier, DailyUsage used, long secondsToMidnight) {
    if (tier.dailySeconds() == null || used.totalSeconds() < tier.dailySeconds()) {
      return Optional.empty();
    }
    return Optional.of(new QuotaRefusal(QuotaType.DAILY_MINUTES, tier.name(), tier.dailyMinutes(),
        used.totalSeconds() / 60.0, "the " + tier.dailyMinutes() + " audio minutes of tier " + tier.name() + " for "
            + used.day() + " (UTC) are used up", secondsToMidnight));
  }

  /** A live stream refused because the owner already holds {@code active} of the tier's places. */
  public static QuotaRefusal concurrentStreams(Tier tier, int active) {
    return new QuotaRefusal(QuotaType.CONCURRENT_STREAMS, tier.name(), tier.concurrentStreams(), active,
        "tier " + tier.name() + " allows " + tier.concurrentStreams() + " live streams at once and all are open",
        null);
  }

  /**
   * A file {@code seconds} long (measured, or declared by its header before decoding) against the tier's longest
   * file; only a change of tier helps.
   */
  public static Optional<QuotaRefusal> maxFile(Tier tier, double seconds) {
    if (tier.maxFileSeconds() == null || seconds <= tier.maxFileSeconds()) {
      return Optional.empty();
    }
    return Optional.of(new QuotaRefusal(QuotaType.MAX_FILE_MINUTES, tier.name(), tier.maxFileMinutes(),
        seconds / 60.0, String.format(Locale.ROOT, "the audio is %.1f minutes long and tier %s allows files of up"
            + " to %d minutes", seconds / 60.0, tier.name(), tier.maxFileMinutes()), null));
  }

  /**
   * A file whose header did not tell its length (or told a wrong one), stopped while decoding once its audio passed
   * the tier's longest file: its real length is unknown, only that it is longer.
   */
  public static QuotaRefusal maxFileWhileDecoding(Tier tier) {
    return new QuotaRefusal(QuotaType.MAX_FILE_MINUTES, tier.name(), tier.maxFileMinutes(), tier.maxFileMinutes(),
        String.format(Locale.ROOT, "the audio is longer than the %d minutes tier %s allows for a file (decoding"
            + " stopped there: its header did not declare its length, or declared less)", tier.maxFileMinutes(),
            tier.name()), null);
  }

  /**
   * A job whose audio is {@code seconds} long, against the tier's longest file and what is left of the day
   * ({@code used}, without this job's own earlier reservation). {@code retryAfter} goes on a daily refusal.
   */
  public static Optional<QuotaRefusal> fitJob(Tier tier, double seconds, DailyUsage used, Long retryAfter) {
    Optional<QuotaRefusal> tooLong = maxFile(tier, seconds);
    if (tooLong.isPresent()) {
      return tooLong;
    }
    if (tier.dailySeconds() != null && used.totalSeconds() + seconds > tier.dailySeconds()) {
      double left = Math.max(0, tier.dailySeconds() - used.totalSeconds());
      return Optional.of(new QuotaRefusal(QuotaType.DAILY_MINUTES, tier.name(), tier.dailyMinutes(),
          used.totalSeconds() / 60.0, String.format(Locale.ROOT, "the audio is %.1f minutes long but only %.1f of the"
              + " %d daily minutes of tier %s are left for %s (UTC)", seconds / 60.0, left / 60.0,
              tier.dailyMinutes(), tier.name(), used.day()), retryAfter));
    }
    return Optional.empty();
  }
}
