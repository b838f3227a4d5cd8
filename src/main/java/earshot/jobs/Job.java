package earshot.jobs;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One job row. {@code leaseToken} is the fencing token: it changes on every acquisition, and every write a runner
 * makes must present the token it was leased with. {@code progress} is the job's (0 at submit, 100 when completed,
 * never going down); {@code stageProgress} is the current stage's ({@code jobType}) own 0–100. {@code failure} is why
 * a failed job failed, as a value the APIs map to a status, when there is such a reason ({@link JobFailure}).
 */
public record Job(
    long id,
    String uuid,
    String ownerUserId,
    String domain,
    JobStage jobType,
    String queue,
    JobStatus status,
    int priority,
    int retryCount,
    int maxRetries,
    JsonObject payload,
    JsonObject result,
    String error,
    int progress,
    int stageProgress,
    String leaseOwner,
    Instant leaseExpiresAt,
    long leaseToken,
    Instant availableAt,
    String idempotencyKey,
    Instant createdAt,
    Instant startedAt,
    Instant completedAt,
    Instant updatedAt,
    JobFailure failure) {

  /** A job without a typed failure: every job that has not failed, and most that have. */
  public Job(long id, String uuid, String ownerUserId, String domain, JobStage jobType, String queue, JobStatus status,
             int priority, int retryCount, int maxRetries, JsonObject payload, JsonObject result, String error,
             int progress, int stageProgress, String leaseOwner, Instant leaseExpiresAt, long leaseToken,
             Instant availableAt, String idempotencyKey, Instant createdAt, Instant startedAt, Instant completedAt,
             Instant updatedAt) {
    this(id, uuid, ownerUserId, domain, jobType, queue, status, priority, retryCount, maxRetries, payload, result,
        error, progress, stageProgress, leaseOwner, leaseExpiresAt, leaseToken, availableAt, idempotencyKey, createdAt,
        startedAt, completedAt, updatedAt, null);
  }

  public Lease lease() {
    return new Lease(id, leaseToken);
  }

  /** The event-bus and HTTP shape of a job. Timestamps are ISO-8601 UTC. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id)
        .put("uuid", uuid)
        .put("owner_user_id", ownerUserId)
        .put("domain", domain)
        .put("job_type", jobType.wireName())
        .put("queue", queue)
        .put("status", status.wireName())
        .put("priority", priority)
        .put("retry_count", retryCount)
        .put("max_retries", maxRetries)
        .put("payload", payload)
        .put("result", result)
        .put("error", error)
        .put("progress", progress)
        .put("stage_progress", stageProgress)
        .put("lease_owner", leaseOwner)
        .put("lease_expires_at", iso(leaseExpiresAt))
        .put("lease_token", leaseToken)
        .put("available_at", iso(availableAt))
        .put("idempotency_key", idempotencyKey)
        .put("created_at", iso(createdAt))
        .put("started_at", iso(startedAt))
        .put("completed_at", iso(completedAt))
        .put("updated_at", iso(updatedAt))
        .put("failure", failure == null ? null : failure.toJson());
  }

  public static Job fromJson(JsonObject j) {
    return new Job(
        j.getLong("id"),
        j.getString("uuid"),
        j.getString("owner_user_id"),
        j.getString("domain"),
        JobStage.fromWire(j.getString("job_type")),
        j.getString("queue"),
        JobStatus.fromWire(j.getString("status")),
        j.getInteger("priority"),
        j.getInteger("retry_count"),
        j.getInteger("max_retries"),
        j.getJsonObject("payload", new JsonObject()),
        j.getJsonObject("result"),
        j.getString("error"),
        j.getInteger("progress", 0),
        j.getInteger("stage_progress", 0),
        j.getString("lease_owner"),
        instant(j.getString("lease_expires_at")),
        j.getLong("lease_token", 0L),
        instant(j.getString("available_at")),
        j.getString("idempotency_key"),
        instant(j.getString("created_at")),
        instant(j.getString("started_at")),
        instant(j.getString("completed_at")),
        instant(j.getString("updated_at")),
        JobFailure.fromJson(j.getJsonObject("failure")));
  }

  private static String iso(Instant i) {
    return i == null ? null : i.toString();
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }
}
