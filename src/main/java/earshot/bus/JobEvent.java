package earshot.bus;

import earshot.jobs.Job;
import earshot.jobs.RecordedEvent;
import io.vertx.core.json.JsonObject;

/**
 * {@code {id, uuid, owner_user_id, job_type, queue, status, progress, stage, stage_progress, retry_count, error, at,
 * lease_token, seq, event, job}}: published on {@link Addresses#JOB_EVENTS} and {@link Addresses#jobEvents(long)} after
 * every state change or progress update. {@code progress} is the job's (it never goes down), {@code stage} (the same as
 * {@code job_type}) and {@code stage_progress} the current stage's own. {@code lease_token} is the job's fencing
 * token at that moment (it grows with every acquisition), so a listener can tell which lease an event is about.
 * {@code seq} is the number the event was recorded under in the store's event log (0 when recording failed),
 * {@code event} is {@code state}, {@code progress} or {@code end}, and {@code job} the job's
 * {@link RecordedEvent#snapshot} (what the public job view is built from).
 */
public record JobEvent(long id, String uuid, String ownerUserId, String jobType, String queue, String status,
                       int progress, int stageProgress, int retryCount, String error, String at, long leaseToken,
                       long seq, String event, JsonObject job) {

  /** An event without a record in the log (tests that publish one by hand). */
  public JobEvent(long id, String uuid, String ownerUserId, String jobType, String queue, String status,
                  int progress, int stageProgress, int retryCount, String error, String at, long leaseToken) {
    this(id, uuid, ownerUserId, jobType, queue, status, progress, stageProgress, retryCount, error, at, leaseToken,
        0, null, null);
  }

  public static JobEvent of(Job job) {
    return of(job, RecordedEvent.kindOf(job, false));
  }

  /** {@code job}'s event of kind {@code event}, not yet recorded ({@code seq} 0). */
  public static JobEvent of(Job job, String event) {
    return new JobEvent(job.id(), job.uuid(), job.ownerUserId(), job.jobType().wireName(), job.queue(),
        job.status().wireName(), job.progress(), job.stageProgress(), job.retryCount(), job.error(),
        job.updatedAt() == null ? null : job.updatedAt().toString(), job.leaseToken(), 0, event,
        RecordedEvent.snapshot(job));
  }

  /** This event as recorded under {@code number}. */
  public JobEvent withSeq(long number) {
    return new JobEvent(id, uuid, ownerUserId, jobType, queue, status, progress, stageProgress, retryCount, error, at,
        leaseToken, number, event, job);
  }

  /** What a job-event subscriber is sent: the number, kind and job snapshot. */
  public RecordedEvent recorded() {
    return new RecordedEvent(seq, id, ownerUserId, event, job);
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("uuid", uuid).put("owner_user_id", ownerUserId)
        .put("job_type", jobType).put("queue", queue).put("status", status).put("progress", progress)
        .put("stage", jobType).put("stage_progress", stageProgress).put("retry_count", retryCount).put("error", error)
        .put("at", at).put("lease_token", leaseToken).put("seq", seq).put("event", event).put("job", job);
  }

  public static JobEvent fromJson(JsonObject j) {
    return new JobEvent(j.getLong("id"), j.getString("uuid"), j.getString("owner_user_id"), j.getString("job_type"),
        j.getString("queue"), j.getString("status"), j.getInteger("progress", 0), j.getInteger("stage_progress", 0),
        j.getInteger("retry_count", 0),
        j.getString("error"), j.getString("at"), j.getLong("lease_token", 0L), j.getLong("seq", 0L),
        j.getString("event"), j.getJsonObject("job"));
  }
}
