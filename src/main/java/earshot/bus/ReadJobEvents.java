package earshot.bus;

import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {job_id?, owner_user_id?, after_seq?, limit}} on {@link Addresses#JOBS_HISTORY}: the recorded events after
 * {@code after_seq} of one job, of one owner's jobs or of all jobs, oldest first; without {@code after_seq} (only with a
 * {@code job_id}) the job's newest event alone. Reply {@code {events: [RecordedEvent]}}.
 */
public record ReadJobEvents(Long jobId, String ownerUserId, Long afterSeq, int limit) {
  /** The most events one request is answered with; a subscriber pages through more. */
  public static final int MAX_LIMIT = 1000;

  /** The newest event of one job. */
  public static ReadJobEvents latest(long jobId) {
    return new ReadJobEvents(jobId, null, null, 1);
  }

  public EventQuery query() {
    return new EventQuery(jobId, ownerUserId, afterSeq == null ? 0 : afterSeq, limit);
  }

  public JsonObject toJson() {
    return new JsonObject().put("job_id", jobId).put("owner_user_id", ownerUserId).put("after_seq", afterSeq)
        .put("limit", limit);
  }

  public static ReadJobEvents fromJson(JsonObject j) {
    return new ReadJobEvents(j.getLong("job_id"), j.getString("owner_user_id"), j.getLong("after_seq"),
        j.getInteger("limit", 1));
  }

  public static JsonObject reply(List<RecordedEvent> events) {
    JsonArray out = new JsonArray();
    events.forEach(e -> out.add(e.toJson()));
    return new JsonObject().put("events", out);
  }

  public static List<RecordedEvent> events(JsonObject reply) {
    List<RecordedEvent> out = new ArrayList<>();
    reply.getJsonArray("events").forEach(e -> out.add(RecordedEvent.fromJson((JsonObject) e)));
    return out;
  }
}
