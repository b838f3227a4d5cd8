package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.audio.TestAudio;
import earshot.testsupport.ClusterApi;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.LocalCluster;
import earshot.testsupport.NodeProcess;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four nodes in four JVMs, one role each (API, scheduler, CPU, GPU), joined over Hazelcast on loopback with one
 * Postgres: jobs of every input kind complete across them, every node answers its probes with its roles, a job for a
 * model that no node holds stays queued and is named in the queue statistics, and a scheduler on SQLite may not join
 * a cluster that already has one.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRolesTest {
  static final Duration START = Deadlines.loaded(Duration.ofSeconds(30));
  static final Duration JOB = Deadlines.loaded(Duration.ofSeconds(20));

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static NodeProcess api;
  static NodeProcess scheduler;
  static NodeProcess cpu;
  static NodeProcess gpu;
  static HttpServer files;
  static Path wav;

  @BeforeAll
  static void start() throws Exception {
    cluster = new LocalCluster(dir, Databases.postgresUrl(), 6, Map.of());
    wav = TestAudio.writeWav(cluster.audioDir().resolve("speech.wav"), 2, 16_000, 1);
    // Only the scheduler reaches the database: the others get a store URL nothing listens on. The API node starts
    // first and waits for a scheduler to appear.
    Map<String, String> noDatabase = Map.of("JOBS_DB_URL", "postgresql://nobody@127.0.0.1:9/nothing");
    api = cluster.start("api", "api", noDatabase);
    scheduler = cluster.start("scheduler", "scheduler");
    cpu = cluster.start("cpu", "cpu", noDatabase);
    gpu = cluster.start("gpu", "gpu", noDatabase);
    for (NodeProcess n : List.of(api, scheduler, cpu, gpu)) {
      n.awaitReady(START);
    }
    files = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    files.createContext("/speech.wav", ex -> {
      byte[] body = Files.readAllBytes(wav);
      ex.getResponseHeaders().add("Content-Type", "audio/wav");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    files.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (files != null) {
      files.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyNodeAnswersItsProbesWithItsRolesAndReachesAScheduler() throws Exception {
    for (NodeProcess n : List.of(api, scheduler, cpu, gpu)) {
      JsonObject ready = new ClusterApi(n).get("/ready").json();
      assertEquals("READY", ready.getString("status"), n.name() + ": " + ready.encode());
      assertEquals(new JsonArray().add(n.name()), ready.getJsonArray("roles"), ready.encode());
      assertEquals("reachable", ready.getString("scheduler"), ready.encode());
      assertEquals("postgres", ready.getJsonObject("store").getString("kind"), ready.encode());
    }
    // a node without the API role serves the probes only
    assertEquals(404, new ClusterApi(gpu).get("/api/v1/audio/jobs").status());
    assertEquals(200, gpu.status("/metrics"));
  }

  @Test
  void jobsOfEveryInputKindCompleteAcrossTheNodes() throws Exception {
    ClusterApi client = new ClusterApi(api);
    long byPath = client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false));
    long byUrl = client.submit(new JsonObject().put("url", "http://127.0.0.1:" + files.getAddress().getPort()
        + "/speech.wav"));
    ClusterApi.Answer upload = client.upload(wav, new JsonObject().put("language", "en"));
    assertEquals(202, upload.status(), upload.body());
    long byUpload = upload.json().getLong("id");
    for (long id : List.of(byPath, byUrl, byUpload)) {
      JsonObject job = client.awaitEnd(id, JOB);
      assertEquals("completed", job.getString("status"), job.encode());
      ClusterApi.Answer result = client.get("/api/v1/audio/jobs/" + id + "/result?format=srt");
      assertEquals(200, result.status(), result.body());
    }
  }

  @Test
  void aJobForAModelNoNodeHoldsStaysQueuedAndTheQueueStatisticsNameIt() throws Exception {
    ClusterApi client = new ClusterApi(api);
    long id = client.submit(new JsonObject().put("local_path", wav.toString()).put("model", "base"));
    JsonObject missing = null;
    long deadline = System.nanoTime() + JOB.toNanos();
    while (missing == null && System.nanoTime() < deadline) {
      JsonObject stats = client.get("/api/v1/audio/queue/stats").json();
      for (Object m : stats.getJsonArray("missing_models")) {
        if ("base".equals(((JsonObject) m).getString("model"))) {
          missing = (JsonObject) m;
        }
      }
      Thread.sleep(200); // the polling interval of a deadline-bounded wait
    }
    assertTrue(missing != null, "queue statistics never named the missing model");
    assertEquals("transcribe.base", missing.getString("queue"));
    JsonObject job = client.job(id);
    assertEquals("queued", job.getString("status"), job.encode());
    assertEquals("transcribe.base", job.getString("queue"), job.encode());
    assertEquals(200, client.post("/api/v1/audio/jobs/" + id + "/cancel", new JsonObject()).status());
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
