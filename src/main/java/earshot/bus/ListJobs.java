package earshot.bus;

import earshot.jobs.JobQuery;
import earshot.jobs.JobStatus;
import io.vertx.core.json.JsonObject;

/** {@code {owner_user_id?, status?, limit, before_id?}} → {@code {jobs: [job, ..], next_cursor?}}. */
public record ListJobs(JobQuery query) {
  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", query.ownerUserId())
        .put("status", query.status() == null ? null : query.status().wireName())
        .put("limit", query.limit()).put("before_id", query.beforeId());
  }

  public static ListJobs fromJson(JsonObject j) {
    String status = j.getString("status");
    return new ListJobs(new JobQuery(j.getString("owner_user_id"), status == null ? null : JobStatus.fromWire(status),
        j.getInteger("limit", 50), j.getLong("before_id")));
  }
}
