package earshot.quota;

import io.vertx.core.json.JsonObject;
import java.time.LocalDate;

/** An owner's audio seconds on one UTC day: settled by completed jobs, and reserved by jobs still running. */
public record DailyUsage(String ownerUserId, LocalDate day, double usedSeconds, double reservedSeconds) {

  public double totalSeconds() {
    return usedSeconds + reservedSeconds;
  }

  public JsonObject toJson() {
    return new JsonObject().put("owner_user_id", ownerUserId).put("day", day.toString())
        .put("used_seconds", usedSeconds).put("reserved_seconds", reservedSeconds);
  }

  public static DailyUsage fromJson(JsonObject j) {
    return new DailyUsage(j.getString("owner_user_id"), LocalDate.parse(j.getString("day")),
        j.getDouble("used_seconds"), j.getDouble("reserved_seconds"));
  }
}
