package earshot.metrics;

import java.time.Duration;
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

  /** A job failed for good at {@code stage}. */
  void failed(String queue, String stage);

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
}
