package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.ClusterApi;
import earshot.testsupport.Databases;
import earshot.testsupport.NodeProcess;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The roles apart with the job files on a directory every node shares (the shared-volume layout); also a restarted
 * scheduler and a second scheduler on SQLite.
 */
class ClusterRolesOnDirTest extends ClusterRolesContract {
  @Override
  Map<String, String> storeEnv(Path dataDir) {
    return Map.of(); // every node keeps LocalCluster's one EARSHOT_DATA_DIR
  }

  /**
   * The scheduler killed with -9 and started again on the same address: once Hazelcast has dropped the dead member,
   * every request reaches the new one (a stale subscription of the old would time out every other request).
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void aRestartedSchedulerGetsEveryRequestWithNoStaleSubscription() throws Exception {
    scheduler.kill();
    scheduler = cluster.restart(scheduler);
    scheduler.awaitReady(START);
    ClusterApi client = new ClusterApi(api);
    int inARow = 0;
    long deadline = System.nanoTime() + START.toNanos();
    while (inARow < 20) {
      assertTrue(System.nanoTime() < deadline, "requests still fail after the restart");
      ClusterApi.Answer a = client.post("/api/v1/audio/jobs/submit", new JsonObject()
          .put("local_path", wav.toString()).put("perform_chunking", false));
      inARow = a.status() == 202 ? inARow + 1 : 0;
    }
    for (int i = 0; i < 10; i++) {
      long started = System.nanoTime();
      ClusterApi.Answer a = client.post("/api/v1/audio/jobs/submit", new JsonObject()
          .put("local_path", wav.toString()).put("perform_chunking", false));
      assertEquals(202, a.status(), a.body());
      long id = a.json().getLong("id");
      assertEquals("completed", client.awaitEnd(id, JOB).getString("status"));
      assertTrue(System.nanoTime() - started < JOB.toNanos());
    }
  }

  @Test
  void aSchedulerOnSqliteMayNotJoinAClusterThatHasOne() throws Exception {
    NodeProcess second = cluster.start("second-scheduler", "scheduler",
        Map.of("JOBS_DB_URL", Databases.sqliteUrl(dir)));
    int code = second.awaitExit(START);
    assertNotEquals(0, code);
    assertTrue(second.logText().contains("a second scheduler cannot join this cluster"), second.logTail());
    assertEquals(200, scheduler.status("/ready"), "the running scheduler goes on");
  }
}
