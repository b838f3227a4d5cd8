package earshot.bus;

import earshot.jobs.Lease;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** {@code {worker, leases: [{id, token}, ..]}}. */
public record HeartbeatRequest(String worker, List<Lease> leases) {
  public JsonObject toJson() {
    JsonArray arr = new JsonArray();
    leases.forEach(l -> arr.add(l.toJson()));
    return new JsonObject().put("worker", worker).put("leases", arr);
  }

  public static HeartbeatRequest fromJson(JsonObject j) {
    return new HeartbeatRequest(j.getString("worker"),
        j.getJsonArray("leases").stream().map(o -> Lease.fromJson((JsonObject) o)).toList());
  }
}
