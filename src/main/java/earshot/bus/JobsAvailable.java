package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {queue, scheduler}}: {@code queue} has new work. {@code scheduler} is the id of the scheduler that announced
 * it, which has woken itself already and skips its own announcement.
 */
public record JobsAvailable(String queue, String scheduler) {
  public JsonObject toJson() {
    return new JsonObject().put("queue", queue).put("scheduler", scheduler);
  }

  public static JobsAvailable fromJson(JsonObject j) {
    return new JobsAvailable(j.getString("queue"), j.getString("scheduler"));
  }
}
