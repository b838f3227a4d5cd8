package earshot.bus;

import earshot.jobs.Job;
import io.vertx.core.json.JsonObject;

/**
 * {@code {id, uuid, owner_user_id, job_type, queue, status, progress, stage, stage_progress, retry_count, error, at,
 * lease_token}}: published on {@link Addresses#JOB_EVENTS} and {@link Addresses#jobEvents(long)} after every state
 * change or progress update. {@code progress} is the job's (it never goes down), {@code stage} (the same as
 * {@code job_type}) and {@code stage_progress} the current stage's own. {@code lease_token} is the job's fencing
 * token at that moment (it grows with every acquisition), so a listener can tell which lease an event is about.
 */
public record JobEvent(long id, String uuid, String ownerUserId, String jobType, String queue, String status,
                       int progress, int stageProgress, int retryCount, String error, String at, long leaseToken) {

  public static JobEvent of(Job job) {
    return new JobEvent(job.id(), job.uuid(), job.ownerUserId(), job.jobType().wireName(), job.queue(),
        job.status().wireName(), job.progress(), job.stageProgress(), job.retryCount(), job.error(),
        job.updatedAt() == null ? null : job.updatedAt().toString(), job.leaseToken());
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("uuid", uuid).put("owner_user_id", ownerUserId)
        .put("job_type", jobType).put("queue", queue).put("status", status).put("progress", progress)
        .put("stage", jobType).put("stage_progress", stageProgress).put("retry_count", retryCount).put("error", error).put("at", at).put("lease_token", leaseToken);
  }

  public static JobEvent fromJson(JsonObject j) {
    return new JobEvent(j.getLong("id"), j.getString("uuid"), j.getString("owner_user_id"), j.getString("job_type"),
        j.getString("queue"), j.getString("status"), j.getInteger("progress", 0), j.getInteger("stage_progress", 0),
        j.getInteger("retry_count", 0),
        j.getString("error"), j.getString("at"), j.getLong("lease_token", 0L));
  }
}
