package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.LocalCluster;
import earshot.testsupport.NodeProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker whose acquire request is parked at a scheduler that is killed (-9) asks the other scheduler at once, when
 * the member is dropped, rather than when its request times out (the acquire wait plus the bus timeout: here over
 * 300 s, the bus timeout being set that long to tell the two apart). The job that waits is put straight into the
 * store after the kill, so that only the worker's own asking can find it.
 */
class ClusterSchedulerLossTest {
  static final Duration START = Deadlines.loaded(Duration.ofSeconds(30));
  /**
   * The member timeout (6 s) and a probe, with room for a loaded machine, and well under the 300 s bus timeout: not
   * stretched by {@link Deadlines#loaded}, which would reach the time a worker without the fix takes.
   */
  static final Duration RESUMED = Duration.ofSeconds(120);

  @TempDir
  Path dir;
  LocalCluster cluster;
  Connection db;

  @AfterEach
  void stop() throws Exception {
    if (db != null) {
      db.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aWorkerParkedAtAKilledSchedulerAsksTheOtherAtOnce() throws Exception {
    cluster = new LocalCluster(dir, Databases.postgresUrl(), 5, Map.of(
        "EARSHOT_BUS_TIMEOUT_SECONDS", "300", "EARSHOT_TEST_STAGES", "noop"));
    NodeProcess doomed = cluster.start("scheduler-doomed", "scheduler");
    doomed.awaitReady(START);
    NodeProcess worker = cluster.start("worker", "cpu,gpu");
    worker.awaitReady(START); // its runners have parked their requests at the only scheduler there is
    NodeProcess survivor = cluster.start("scheduler-survivor", "scheduler");
    survivor.awaitReady(START);

    doomed.kill();
    long killed = System.nanoTime();
    db = cluster.jdbc();
    long id;
    try (Statement s = db.createStatement()) {
      s.execute("INSERT INTO jobs (uuid, owner_user_id, job_type, queue, status, payload, available_at, created_at,"
          + " updated_at) VALUES ('" + UUID.randomUUID() + "', '1', 'audio_convert', 'default', 'queued',"
          + " '{\"local_path\": \"/nowhere.wav\", \"perform_chunking\": false}', now(), now(), now())");
      try (ResultSet rs = s.executeQuery("SELECT max(id) FROM jobs")) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    long deadline = killed + RESUMED.toNanos();
    while (!"completed".equals(status(id))) {
      assertTrue(System.nanoTime() < deadline, "job " + id + " is " + status(id) + " "
          + Duration.ofNanos(System.nanoTime() - killed).toSeconds() + " s after the kill:\n" + worker.logTail());
      Thread.sleep(100); // the polling interval of a deadline-bounded wait
    }
    assertTrue(worker.logText().contains("a cluster member left; asking the schedulers again"), worker.logTail());
  }

  private String status(long id) throws Exception {
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT status FROM jobs WHERE id = " + id)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
