package earshot.jobs;

import earshot.tiers.Tiers;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;

/**
 * A submission, after validation, as the store inserts it. {@code uuid} is chosen by the submitter's side.
 * {@code admission}, when present, makes the insert check the owner's tier (queued jobs, daily minutes) and add the
 * tier's priority boost in the same transaction; null inserts unconditionally.
 */
public record NewJob(
    String uuid,
    String ownerUserId,
    JobStage firstStage,
    String queue,
    int priority,
    int maxRetries,
    JsonObject payload,
    String idempotencyKey,
    Admission admission) {

  public NewJob(String uuid, String ownerUserId, JobStage firstStage, String queue, int priority, int maxRetries,
                JsonObject payload, String idempotencyKey) {
    this(uuid, ownerUserId, firstStage, queue, priority, maxRetries, payload, idempotencyKey, null);
  }

  /** The part of the job's progress its first stage covers (it starts at 0). */
  public ProgressSpan progressSpan() {
    return StagePlan.span(firstStage, payload);
  }

  /** The limits to check at insert, the UTC day whose minutes count, and the seconds until that day ends. */
  public record Admission(Tiers tiers, LocalDate day, long secondsToMidnight) {}
}
