package earshot.jobs;

import io.vertx.core.json.JsonObject;

/**
 * One job event as the scheduler recorded and published it: {@code seq} (its number, rising per job; 0 when it could
 * not be recorded), the job's id and owner, what happened ({@link #STATE}, {@link #PROGRESS} or {@link #END}) and the
 * job as it was then ({@link #snapshot}). Live subscribers get it from the bus, reconnecting ones from the store.
 */
public record RecordedEvent(long seq, long jobId, String ownerUserId, String event, JsonObject job) {
  /** The job changed state (or was submitted). */
  public static final String STATE = "state";
  /** The running stage reported progress. */
  public static final String PROGRESS = "progress";
  /** The job reached completed, failed or cancelled. */
  public static final String END = "end";

  /** The kind of event a change to {@code job} is: {@link #END} once it is terminal, else state or progress. */
  public static String kindOf(Job job, boolean progress) {
    if (job.status().isTerminal()) {
      return END;
    }
    return progress ? PROGRESS : STATE;
  }

  /**
   * The fields of {@code job} that its public view shows (the job JSON of {@link Job#toJson}, with the payload cut to
   * its model and duration and the result to its duration), so an event stays small whatever the transcript's size.
   */
  public static JsonObject snapshot(Job job) {
    JsonObject full = job.toJson();
    JsonObject payload = new JsonObject();
    copy(job.payload(), payload, PayloadKeys.MODEL);
    copy(job.payload(), payload, PayloadKeys.DURATION_SECONDS);
    full.put("payload", payload);
    if (job.result() != null) {
      JsonObject result = new JsonObject();
      copy(job.result(), result, "duration");
      full.put("result", result);
    }
    for (String internal : new String[] {"lease_owner", "lease_expires_at", "idempotency_key", "max_retries",
        "available_at", "failure"}) {
      full.remove(internal);
    }
    return full;
  }

  private static void copy(JsonObject from, JsonObject to, String key) {
    if (from != null && from.getValue(key) != null) {
      to.put(key, from.getValue(key));
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("seq", seq).put("job_id", jobId).put("owner_user_id", ownerUserId)
        .put("event", event).put("job", job);
  }

  public static RecordedEvent fromJson(JsonObject j) {
    return new RecordedEvent(j.getLong("seq", 0L), j.getLong("job_id"), j.getString("owner_user_id"),
        j.getString("event"), j.getJsonObject("job"));
  }
}
