package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {owner_user_id, jobs, streams, backend}}: the owner's live holders of each kind, counted where the counters
 * live now: {@code backend} is {@code redis} (the cluster's counts) or {@code local} (this node's only).
 */
public record ActiveCountsReply(String owner, int jobs, int streams, String backend) {
  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", owner).put("jobs", jobs).put("streams", streams)
        .put("backend", backend);
  }

  public static ActiveCountsReply fromJson(JsonObject j) {
    return new ActiveCountsReply(j.getString("owner_user_id"), j.getInteger("jobs"), j.getInteger("streams"),
        j.getString("backend"));
  }
}
