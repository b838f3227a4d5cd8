package earshot.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * The job engine's meters. Labels are only queue, stage and outcome: never a job id, owner or file name (seed 003).
 * Implementations are thread-safe, so one instance may be handed to several verticles.
 */
public interface JobMetrics {

  /** A job entered {@code queue} at {@code stage} (a submission, or the next stage of a running job). */
  void enqueued(String queue, String stage);

  /** A runner was leased a job at {@code stage}. */
  void started(String queue, String stage);

  /** A stage finished successfully. */
  void completed(String queue, String stage);

  /**
   * A job failed for good at {@code stage}, for {@code reason}: one of the constants below or a {@code JobFailure}
   * code ({@code quota_exceeded}, {@code model_not_installed}). A small closed set, never a message.
   */
  void failed(String queue, String stage, String reason);

  /** {@link #failed} reasons. */
  String RETRIES_EXHAUSTED = "retries_exhausted";
  String STAGE_ERROR = "stage_error";
  String LEASE_EXPIRED = "lease_expired";

  /** Wall time of one stage run on a runner, by outcome ({@code completed|retry|fail|release|aborted}). */
  void stageDuration(String stage, String outcome, Duration duration);

  /** Submit to completion of a whole job. */
  void jobDuration(Duration duration);

  /** Latest queued counts per queue. */
  void queueDepths(Map<String, Long> depths);

  /** Stages running on this node's runners now. */
  void workerActive(int delta);

  /** A fenced commit or heartbeat was refused because the runner no longer held the lease. */
  void leaseLost(String stage);

  /** The lease sweeper found a lease at {@code stage} expired (its runner died or hung) and took the job back. */
  void leaseExpired(String stage);

  /** A job was leased at {@code stage} again after an earlier run of it ended without completing (retry_count > 0). */
  void reacquired(String queue, String stage);

  /** Age of the oldest queued job per queue, in seconds (0 for an empty queue). */
  void queueAges(Map<String, Double> oldestQueuedSeconds);

  /** A runner on this node holds the lease of {@code jobId} and runs its stage from now on. */
  void leaseHeld(long jobId);

  /** The stage of {@code jobId} ended on this node (finished, aborted or given back). */
  void leaseEnded(long jobId);

  /**
   * Transcription wall time divided by the audio's duration: below 1 is faster than real time. Exported in percent,
   * as {@code transcription_real_time_factor_percent}.
   */
  void realTimeFactor(double factor);

  /**
   * Registers every meter with the label values known at start-up, at zero, so a fresh node exports every name the
   * dashboard and alert rules query before it has seen a job.
   */
  void registerKnown(Collection<String> queues, Collection<String> stages);
}
