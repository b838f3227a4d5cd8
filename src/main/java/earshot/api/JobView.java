package earshot.api;

import io.vertx.core.json.JsonObject;

/**
 * The public shape of a job (seed 001 plus progress, model and duration); internal lease fields stay hidden.
 * {@code progress} is the job's, from 0 at submit to 100 when completed, never going down; {@code stage} (its current
 * stage, the same as {@code job_type}) and {@code stage_progress} show where that stage itself is. A completed job
 * also shows {@code processing_time} (seconds from start to result) and {@code realtime_factor} (that over the audio's
 * duration: below 1 is faster than real time).
 */
public final class JobView {
  private JobView() {}

  public static JsonObject of(JsonObject job) {
    JsonObject payload = job.getJsonObject("payload", new JsonObject());
    JsonObject result = job.getJsonObject("result");
    Object duration = payload.getValue("duration_seconds", result == null ? null : result.getValue("duration"));
    JsonObject view = new JsonObject()
        .put("id", job.getLong("id"))
        .put("uuid", job.getString("uuid"))
        .put("owner_user_id", job.getString("owner_user_id"))
        .put("domain", job.getString("domain"))
        .put("job_type", job.getString("job_type"))
        .put("status", job.getString("status"))
        .put("priority", job.getInteger("priority"))
        .put("retry_count", job.getInteger("retry_count"))
        .put("progress", job.getInteger("progress"))
        .put("stage", job.getString("job_type"))
        .put("stage_progress", job.getInteger("stage_progress", 0))
        .put("queue", job.getString("queue"))
        .put("model", payload.getString("model"))
        .put("duration_seconds", duration)
        .put("created_at", job.getString("created_at"))
        .put("started_at", job.getString("started_at"))
        .put("completed_at", job.getString("completed_at"))
        .put("error", job.getString("error"));
    if (result != null && result.getValue("realtime_factor") instanceof Number rtf) {
      view.put("processing_time", result.getValue("processing_time")).put("realtime_factor", rtf);
    }
    if (job.containsKey("queue_position")) {
      view.put("queue_position", job.getLong("queue_position"));
    }
    return view;
  }
}
