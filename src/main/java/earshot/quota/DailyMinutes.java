package earshot.quota;

import earshot.jobs.Job;
import earshot.jobs.JobFailure;
import earshot.jobs.JobStage;
import earshot.jobs.Lease;
import earshot.jobs.PayloadKeys;
import earshot.metrics.QuotaMetrics;
import earshot.store.TierLedger;
import earshot.tiers.QuotaRefusal;
import earshot.tiers.Tiers;
import earshot.tiers.UtcDay;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Daily audio minutes on the scheduler's side: a job reserves its length when audio_convert has measured it (the
 * tier's longest file and the day's minutes are checked then), and settles when it finishes: a completed job's
 * minutes are used on the day they were reserved, a failed or cancelled job's are given back. A once-a-minute pass
 * settles what a crash between a job's end and its settlement left behind.
 *
 * <p>Threading: the scheduler's event loop; it keeps no state of its own.
 */
public final class DailyMinutes {
  private static final Logger LOG = LoggerFactory.getLogger(DailyMinutes.class);

  private final TierLedger store;
  private final Tiers tiers;
  private final QuotaMetrics metrics;
  private final Clock clock;

  public DailyMinutes(TierLedger store, Tiers tiers, QuotaMetrics metrics, Clock clock) {
    this.store = store;
    this.tiers = tiers;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** Reserves {@code seconds} of today (UTC) for the leased job; the refusal when they do not fit its tier. */
  public Future<Optional<QuotaRefusal>> reserve(Lease lease, double seconds) {
    return store.reserve(lease, seconds, UtcDay.today(clock), tiers).andThen(ar -> {
      if (ar.succeeded() && ar.result().isPresent()) {
        metrics.quotaHit(ar.result().get().type().wireName());
        LOG.info("job {} refused: {}", lease.jobId(), ar.result().get().jobError());
      }
    });
  }

  /**
   * A failed or cancelled job about to resume at {@code resumeAt}: when that is after audio_convert, nothing on its
   * way reserves its minutes again (the refund when it stopped gave them back), so they are reserved here, against
   * what the owner has left today; the refusal (Retry-After: the next UTC midnight) when they do not fit.
   */
  public Future<Optional<QuotaRefusal>> reserveForRetry(Job job, JobStage resumeAt) {
    Double seconds = job.payload().getDouble(PayloadKeys.DURATION_SECONDS);
    if (resumeAt.compareTo(JobStage.AUDIO_CONVERT) <= 0 || seconds == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return store.reserveForRetry(job.id(), seconds, UtcDay.today(clock), tiers, UtcDay.secondsToMidnight(clock))
        .andThen(ar -> {
          if (ar.succeeded() && ar.result().isPresent()) {
            metrics.quotaHit(ar.result().get().type().wireName());
          }
        });
  }

  /**
   * A runner failed a job on a tier limit itself (audio_convert refuses a file longer than {@code max_file_minutes}
   * before or while decoding it): the refusal is counted like the ones {@link #reserve} makes.
   */
  public void countRunnerRefusal(JobFailure failure) {
    if (failure != null && failure.is(JobFailure.QUOTA_EXCEEDED)) {
      metrics.quotaHit(failure.quota());
    }
  }

  /** A job that finished (by a report, a cancel or the sweeper) settles its reserved minutes. */
  public void settleIfFinished(Job job) {
    // Only audio_convert reserves, and it records the duration in the payload: without one there is nothing to settle.
    if (job.status().isTerminal() && job.payload().containsKey(PayloadKeys.DURATION_SECONDS)) {
      store.settle(List.of(job.id()))
          .onFailure(err -> LOG.warn("settling the minutes of job {} failed: {}", job.id(), err.getMessage()));
    }
  }

  /** Settles every finished job that still holds a reservation. */
  public void settleLeftovers() {
    store.settle(null).onFailure(err -> LOG.warn("settling finished jobs failed: {}", err.getMessage()));
  }
}
