package earshot.bus;

import io.vertx.core.json.JsonObject;

/** {@code {accepted, status?}}: {@code accepted=false} means the commit was fenced off (the lease was lost). */
public record StageReportReply(boolean accepted, String status) {
  public JsonObject toJson() {
    return new JsonObject().put("accepted", accepted).put("status", status);
  }

  public static StageReportReply fromJson(JsonObject j) {
    return new StageReportReply(j.getBoolean("accepted"), j.getString("status"));
  }
}
