package earshot.tiers;

import io.vertx.core.json.JsonObject;

/**
 * One named service tier: how many jobs and live streams an owner may run at once, how many audio minutes a UTC day
 * they may use, the longest file they may submit, how many unfinished jobs they may have queued, how much their
 * submissions' priority is raised, and their weight in the owner-strict rotation. A null limit means unlimited.
 */
public record Tier(
    String name,
    int concurrentJobs,
    int concurrentStreams,
    Integer dailyMinutes,
    Integer maxFileMinutes,
    Integer maxQueuedJobs,
    int priorityBoost,
    int weight) {

  /** Tier names are inlined into SQL as literals, so they are restricted to a safe alphabet. */
  public static final String NAME_PATTERN = "[a-z0-9][a-z0-9_-]{0,31}";

  public Tier {
    if (name == null || !name.matches(NAME_PATTERN)) {
      throw new IllegalArgumentException("tier name must match " + NAME_PATTERN + ", got '" + name + "'");
    }
    if (concurrentJobs < 1 || concurrentStreams < 0 || weight < 1 || priorityBoost < 0) {
      throw new IllegalArgumentException("tier " + name + " has a limit out of range");
    }
  }

  /** An unlimited tier except for {@code concurrentJobs}: what tests and benchmarks use. */
  public static Tier unlimited(String name, int concurrentJobs) {
    return new Tier(name, concurrentJobs, 1000, null, null, null, 0, 1);
  }

  public Double dailySeconds() {
    return dailyMinutes == null ? null : dailyMinutes * 60.0;
  }

  public Double maxFileSeconds() {
    return maxFileMinutes == null ? null : maxFileMinutes * 60.0;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("concurrent_jobs", concurrentJobs)
        .put("concurrent_streams", concurrentStreams)
        .put("daily_minutes", dailyMinutes)
        .put("max_file_minutes", maxFileMinutes)
        .put("max_queued_jobs", maxQueuedJobs)
        .put("priority_boost", priorityBoost)
        .put("weight", weight);
  }

  public static Tier fromJson(JsonObject j) {
    return new Tier(j.getString("name"), j.getInteger("concurrent_jobs"), j.getInteger("concurrent_streams"),
        j.getInteger("daily_minutes"), j.getInteger("max_file_minutes"), j.getInteger("max_queued_jobs"),
        j.getInteger("priority_boost", 0), j.getInteger("weight", 1));
  }
}
