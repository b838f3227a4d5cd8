package earshot.testsupport;

import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;

/** Node configurations for tests: everything under one temporary directory, HTTP on an ephemeral loopback port. */
public final class TestConfigs {
  private TestConfigs() {}

  /**
   * An API + scheduler node on a fresh SQLite file in {@code dir}, with its data under {@code dir/data}, its models
   * directory {@code dir/models} (empty unless a test writes a model there) and HTTP on 127.0.0.1 port 0;
   * {@code overrides} (deep-merged) change anything, including the roles.
   */
  public static EarshotConfig local(Path dir, JsonObject overrides) {
    JsonObject base = new JsonObject()
        .put("data_dir", dir.resolve("data").toString())
        .put("audio", new JsonObject().put("models_dir", dir.resolve("models").toString()))
        .put("roles", List.of("api", "scheduler"))
        .put("store", new JsonObject().put("url", Databases.sqliteUrl(dir)))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0));
    return ConfigLoader.fromOverrides(base.mergeIn(overrides, true));
  }

  /**
   * A {@code quota} section whose default tier, {@code unlimited}, lets an owner run {@code concurrentJobs} jobs at
   * once and limits nothing else: for tests and benchmarks that are not about quotas.
   */
  public static JsonObject unlimitedQuota(int concurrentJobs) {
    return new JsonObject().put("default_tier", "unlimited").put("tiers", new JsonObject().put("unlimited",
        new JsonObject().put("concurrent_jobs", concurrentJobs).put("concurrent_streams", 1000)
            .putNull("daily_minutes").putNull("max_file_minutes").putNull("max_queued_jobs")));
  }
}
