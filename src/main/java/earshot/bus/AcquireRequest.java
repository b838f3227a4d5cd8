package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@code {worker, queues: [..], max, wait_ms}}: a runner has {@code max} free slots for these queues. The scheduler
 * replies within {@code wait_ms}; the requester's bus timeout must be longer.
 */
public record AcquireRequest(String worker, List<String> queues, int max, long waitMs) {
  public JsonObject toJson() {
    return new JsonObject().put("worker", worker).put("queues", new JsonArray(List.copyOf(queues)))
        .put("max", max).put("wait_ms", waitMs);
  }

  public static AcquireRequest fromJson(JsonObject j) {
    List<String> queues = j.getJsonArray("queues").stream().map(String::valueOf).toList();
    return new AcquireRequest(j.getString("worker"), queues, j.getInteger("max"), j.getLong("wait_ms", 0L));
  }
}
