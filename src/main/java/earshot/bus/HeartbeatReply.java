package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** {@code {lost: [id, ..]}}: leases that could not be renewed; the runner must stop those jobs. */
public record HeartbeatReply(List<Long> lost) {
  public JsonObject toJson() {
    return new JsonObject().put("lost", new JsonArray(List.copyOf(lost)));
  }

  public static HeartbeatReply fromJson(JsonObject j) {
    return new HeartbeatReply(j.getJsonArray("lost").stream().map(o -> ((Number) o).longValue()).toList());
  }
}
