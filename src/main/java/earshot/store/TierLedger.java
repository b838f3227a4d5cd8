package earshot.store;

import earshot.jobs.Lease;
import earshot.tiers.DailyUsage;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.Tiers;
import io.vertx.core.Future;
import java.time.LocalDate;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/**
 * The tier ledger: which tier each owner is on, and the audio minutes each owner used and reserved per UTC day. What
 * {@code DailyMinutes} and the quota queries read and write; the acquire and submit statements read the same tables
 * inside their own transactions.
 */
public interface TierLedger {
  /** The tier stored for an owner; empty when none is (the default tier applies). */
  Future<Optional<String>> tierOf(String ownerUserId);

  /** The stored tiers of these owners; owners without one are absent. */
  Future<Map<String, String>> tiersOf(Collection<String> owners);

  /** Stores an owner's tier; the next acquisition applies it. */
  Future<Void> setTier(String ownerUserId, String tier);

  /** An owner's used and reserved audio seconds on one UTC day (zeros when nothing is recorded). */
  Future<DailyUsage> usage(String ownerUserId, LocalDate day);

  /**
   * A live stream received {@code seconds} more audio: they are added to the owner's used seconds of {@code day} at
   * once (a stream has no job to reserve for). Yields the day's usage after the addition.
   */
  Future<DailyUsage> addStreamed(String ownerUserId, double seconds, LocalDate day);

  /**
   * Fenced: the job's audio turned out {@code seconds} long. Checks the owner's tier ({@code max_file_minutes},
   * then what is left of {@code day}'s minutes) and, if it fits, reserves the seconds on that day (replacing any
   * earlier reservation of this job). Yields the refusal when it does not fit; empty when reserved, or when the
   * lease is no longer held (the fenced write that follows then fails too).
   */
  Future<Optional<QuotaRefusal>> reserve(Lease lease, double seconds, LocalDate day, Tiers tiers);

  /**
   * A failed or cancelled job is about to be retried from a stage after audio_convert, so its reservation (given
   * back when it stopped) is taken again, with the same checks as {@link #reserve}; a daily-minutes refusal carries
   * {@code secondsToMidnight} as its Retry-After. Empty when reserved, or when the job is not failed or cancelled.
   */
  Future<Optional<QuotaRefusal>> reserveForRetry(long jobId, double seconds, LocalDate day, Tiers tiers,
                                                 long secondsToMidnight);

  /**
   * Settles the reservations of finished jobs: a completed job's seconds become used on the day they were reserved,
   * a failed or cancelled job's are given back. Idempotent; {@code jobIds} null settles every finished job that
   * still holds a reservation (what a crash between a job's end and its settlement leaves). Yields how many settled.
   */
  Future<Integer> settle(Collection<Long> jobIds);
}
