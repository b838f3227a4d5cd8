package earshot.bus;

import earshot.jobs.Job;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** {@code {jobs: [job, ..]}}: jobs now leased to the requesting runner (possibly none). */
public record AcquireReply(List<Job> jobs) {
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    jobs.forEach(j -> arr.add(j.toJson()));
    return new JsonObject().put("jobs", arr);
  }

  public static AcquireReply fromJson(JsonObject j) {
    return new AcquireReply(j.getJsonArray("jobs").stream().map(o -> Job.fromJson((JsonObject) o)).toList());
  }
}
