package earshot.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code {uuids}} asked of {@link Addresses#JOBS_STATUSES}, and its reply {@code {statuses: {uuid: status}}}. */
public record JobStatuses(List<String> uuids) {
  /** The most uuids one request may ask for. */
  public static final int MAX = 500;

  public JsonObject toJson() {
    return new JsonObject().put("uuids", new JsonArray(List.copyOf(uuids)));
  }

  public static JobStatuses fromJson(JsonObject j) {
    List<String> uuids = j.getJsonArray("uuids").stream().map(String.class::cast).toList();
    if (uuids.size() > MAX) {
      throw new IllegalArgumentException("at most " + MAX + " uuids, got " + uuids.size());
    }
    return new JobStatuses(uuids);
  }

  /** The reply: each found job's status by its uuid. */
  public static JsonObject reply(Map<String, String> statuses) {
    return new JsonObject().put("statuses", new JsonObject(new HashMap<>(statuses)));
  }

  public static Map<String, String> statuses(JsonObject reply) {
    Map<String, String> out = new HashMap<>();
    reply.getJsonObject("statuses").forEach(e -> out.put(e.getKey(), (String) e.getValue()));
    return out;
  }
}
