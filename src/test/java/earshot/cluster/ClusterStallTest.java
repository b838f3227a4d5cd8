package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.TestAudio;
import earshot.bus.Addresses;
import earshot.bus.WorkerEntry;
import earshot.testsupport.ClusterApi;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.LocalCluster;
import earshot.testsupport.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stalled worker: a GPU node frozen with SIGSTOP in the middle of a transcription, until its lease has passed and
 * another GPU node has leased the job again, then let go with SIGCONT. Its late reports are fenced off by the lease
 * token, the job completes once, and the thawed node goes on working. The frozen node is a Hazelcast lite member,
 * as README recommends for workers: a frozen data member would hold the partitions the others read subscriptions
 * and node addresses from, and stall them too until it is dropped.
 */
class ClusterStallTest {
  static final Duration LEASE = Duration.ofSeconds(4);
  static final Duration START = Deadlines.loaded(Duration.ofSeconds(30));
  static final Duration WAIT = Deadlines.loaded(Duration.ofSeconds(40));

  @TempDir
  Path dir;
  LocalCluster cluster;
  Connection db;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void aStalledWorkersLateReportIsFencedAndTheJobKeepsOneResult() throws Exception {
    // A frozen member stays a member: the member timeout is well past the freeze, so only the lease decides.
    cluster = new LocalCluster(dir, Databases.postgresUrl(), 6, Map.of(
        "JOBS_LEASE_SECONDS", Long.toString(LEASE.toSeconds()), "EARSHOT_CLUSTER_MEMBER_TIMEOUT_SECONDS", "120"));
    NodeProcess api = cluster.start("api", "api,scheduler,cpu");
    api.awaitReady(START); // a data member first: a cluster of lite members alone has nowhere to keep its maps
    // The node to be frozen is a Hazelcast lite member (an operator's cluster file, EARSHOT_CLUSTER_CONFIG): it owns
    // no partition, so the others' map reads (subscriptions, node addresses) do not wait on it while it is frozen.
    String bundled = new String(java.util.Objects.requireNonNull(
        getClass().getResourceAsStream("/conf/cluster.xml")).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    Path lite = java.nio.file.Files.writeString(dir.resolve("lite-member.xml"),
        bundled.replace("<network>", "<lite-member enabled=\"true\"/>\n  <network>"));
    NodeProcess stalled = cluster.start("gpu-stalled", "gpu", Map.of("EARSHOT_CLUSTER_CONFIG", lite.toString()));
    // The rescuer joins now, holding no model: Hazelcast admits no new member while one is frozen. It gets the model
    // once the other is frozen, and picks it up while it runs.
    Path rescuerModels = java.nio.file.Files.createDirectories(dir.resolve("rescuer-models"));
    NodeProcess rescuer = cluster.start("gpu-rescuer", "gpu", Map.of("EARSHOT_MODELS_DIR", rescuerModels.toString()));
    stalled.awaitReady(START);
    Vertx observer = cluster.observer();
    Set<String> rescuers = workersOf(observer, rescuer);
    AtomicInteger completed = new AtomicInteger();
    observer.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
      if ("completed".equals(m.body().getString("status"))) {
        completed.incrementAndGet();
      }
    }).completion().await(10, TimeUnit.SECONDS);
    db = cluster.jdbc();
    Path wav = TestAudio.writeWav(cluster.audioDir().resolve("long.wav"), 240, 16_000, 1);
    ClusterApi client = new ClusterApi(api);
    long id = client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false));

    Set<String> stalledWorkers = workersOf(observer, stalled);
    long token = awaitHeld(id, stalledWorkers);
    stalled.freeze();
    java.nio.file.Files.copy(dir.resolve("models").resolve("ggml-" + LocalCluster.MODEL + ".bin"),
        rescuerModels.resolve("ggml-" + LocalCluster.MODEL + ".bin"));
    long newToken = awaitHeld(id, rescuers);
    assertTrue(newToken > token, "the job was leased again with a new token");
    stalled.thaw();

    JsonObject job = client.awaitEnd(id, WAIT);
    assertEquals("completed", job.getString("status"), job.encode());
    // the thawed node learns it lost the lease: its heartbeat is answered "lost", or its report is fenced off
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!(stalled.logText().contains("lost the lease on job " + id)
        || stalled.logText().contains("of job " + id + " was fenced off"))) {
      assertTrue(System.nanoTime() < deadline, "the stalled worker never heard it lost the lease:\n"
          + stalled.logTail());
      Thread.sleep(100); // the polling interval of a deadline-bounded wait
    }
    assertEquals(1, completed.get(), "one completion");
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT status, lease_token FROM jobs WHERE id = " + id)) {
      assertTrue(rs.next());
      assertEquals("completed", rs.getString(1));
    }
    assertTrue(stalled.isAlive(), "the thawed node runs on");
    assertEquals(200, stalled.status("/ready"), stalled.logTail());
  }

  /** Waits until one of {@code workers} holds job {@code id} in audio_transcribe; its lease token. */
  private long awaitHeld(long id, Set<String> workers) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT lease_owner, lease_token, job_type FROM jobs WHERE status = 'processing' AND id = " + id)) {
        if (rs.next() && workers.contains(rs.getString(1)) && "audio_transcribe".equals(rs.getString(3))) {
          return rs.getLong(2);
        }
      }
      assertTrue(System.nanoTime() < deadline, "job " + id + " was never held by " + workers);
      Thread.sleep(10); // the polling interval of a deadline-bounded wait
    }
  }

  private static Set<String> workersOf(Vertx observer, NodeProcess node) throws Exception {
    String prefix = node.pid() + "@";
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      List<WorkerEntry> live = new WorkerDirectory(observer).live().await(10, TimeUnit.SECONDS);
      Set<String> workers = live.stream().filter(w -> w.nodeId().startsWith(prefix)).map(WorkerEntry::worker)
          .collect(Collectors.toSet());
      if (!workers.isEmpty()) {
        return workers;
      }
      assertFalse(System.nanoTime() > deadline, node.name() + " never listed itself");
      Thread.sleep(100); // the polling interval of a deadline-bounded wait
    }
  }
}
