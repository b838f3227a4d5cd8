package earshot.store.postgres;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import earshot.config.EarshotConfig;
import earshot.jobs.AcquireSpec;
import earshot.store.JobStore;
import earshot.store.JobStores;
import earshot.testsupport.Databases;
import earshot.tiers.Tiers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The acquire candidate query's plan on a table whose statistics still say it is empty, as on a fresh database that
 * a burst of submissions filled before autovacuum analyzed it: the ranking (a window function) and the per-owner
 * active counts must each run once, whatever the planner believes. Before, the planner re-ran the window for every
 * queued row (quadratic: 200 ms per acquisition over 600 queued jobs, seconds over thousands). This asserts the plan's
 * shape (loop counts from EXPLAIN ANALYZE), never its timing.
 */
class PostgresAcquirePlanTest {

  @Test
  void theRankingRunsOnceOverAFreshlyFilledTable() throws Exception {
    Vertx vertx = Vertx.vertx();
    String url = Databases.postgresUrl();
    JobStore store = await(JobStores.open(vertx, new EarshotConfig.Store(url, 2), Clock.systemUTC()));
    try (Connection c = DriverManager.getConnection("jdbc:" + url.replace("postgres@", ""), "postgres", "");
         Statement s = c.createStatement()) {
      for (String status : List.of("queued", "processing")) {
        s.execute("INSERT INTO jobs (uuid, owner_user_id, job_type, queue, status, available_at, created_at, updated_at)"
            + " SELECT '" + status + "-' || g, 'owner-' || (g % 7), 'audio_convert', 'default', '" + status + "',"
            + " now(), now(), now() FROM generate_series(1, " + (status.equals("queued") ? 600 : 20) + ") g");
      }
      PostgresAcquireSql sql = new PostgresAcquireSql();
      for (boolean ownerStrict : List.of(false, true)) {
        String query = sql.candidateQuery(new AcquireSpec("default", "w", 8, Duration.ofMinutes(1), Tiers.uniform(1000),
            ownerStrict)).replace("$1", "'default'").replace("$2", "now()").replace("$3", "8");
        JsonObject plan;
        try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, FORMAT JSON) " + query)) {
          rs.next();
          plan = new JsonArray(rs.getString(1)).getJsonObject(0);
        }
        List<JsonObject> windows = nodes(plan.getJsonObject("Plan"), "WindowAgg");
        assertFalse(windows.isEmpty(), plan.encodePrettily());
        for (JsonObject w : windows) {
          assertEquals(1, w.getInteger("Actual Loops"), "the ranking ran once (owner-strict " + ownerStrict + "): "
              + plan.encodePrettily());
        }
        for (JsonObject agg : nodes(plan.getJsonObject("Plan"), "Aggregate")) {
          assertEquals(1, agg.getInteger("Actual Loops"), "the active counts ran once: " + plan.encodePrettily());
        }
        assertEquals(8, plan.getJsonObject("Plan").getInteger("Actual Rows"), "eight candidates");
      }
    } finally {
      await(store.close());
      await(vertx.close());
    }
  }

  private static List<JsonObject> nodes(JsonObject node, String type) {
    List<JsonObject> found = new ArrayList<>();
    if (type.equals(node.getString("Node Type"))) {
      found.add(node);
    }
    for (Object child : node.getJsonArray("Plans", new JsonArray())) {
      found.addAll(nodes((JsonObject) child, type));
    }
    return found;
  }
}
