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
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four nodes in four JVMs, one role each (API, scheduler, CPU, GPU), joined over Hazelcast on loopback with one
 * Postgres: jobs of every input kind complete across them, every node answers its probes with its roles, and a job
 * for a model that no node holds stays queued and is named in the queue statistics. Run with the job files on a
 * shared directory ({@link ClusterRolesOnDirTest}) and in an S3 bucket with no shared disk
 * ({@link ClusterRolesOnS3Test}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClusterRolesContract {
  static final Duration START = Deadlines.loaded(Duration.ofSeconds(30));
  static final Duration JOB = Deadlines.loaded(Duration.ofSeconds(20));

  /** Static: JUnit fills instance fields only after the per-class @BeforeAll has run. */
  @TempDir
  static Path dir;
  LocalCluster cluster;
  NodeProcess api;
  NodeProcess scheduler;
  NodeProcess cpu;
  NodeProcess gpu;
  HttpServer files;
  Path wav;

  /** Settings of the job files' store for every node (env names); {@code dataDir} is the node's own directory. */
  abstract Map<String, String> storeEnv(Path dataDir) throws Exception;

  /** Settings of one node: the store's, with its own data directory (whether it shares one is the store's call). */
  Map<String, String> node(String name, Map<String, String> more) throws Exception {
    Map<String, String> env = new java.util.HashMap<>(storeEnv(dir.resolve("data-" + name)));
    env.putAll(more);
    return env;
  }

  @BeforeAll
  void start() throws Exception {
    cluster = new LocalCluster(dir, Databases.postgresUrl(), 6, Map.of());
    wav = TestAudio.writeWav(cluster.audioDir().resolve("speech.wav"), 2, 16_000, 1);
    // Only the scheduler reaches the database: the others get a store URL nothing listens on. The API node starts
    // first and waits for a scheduler to appear.
    Map<String, String> noDatabase = Map.of("JOBS_DB_URL", "postgresql://nobody@127.0.0.1:9/nothing");
    api = cluster.start("api", "api", node("api", noDatabase));
    scheduler = cluster.start("scheduler", "scheduler", node("scheduler", Map.of()));
    cpu = cluster.start("cpu", "cpu", node("cpu", noDatabase));
    gpu = cluster.start("gpu", "gpu", node("gpu", noDatabase));
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

  /** Stops what {@link #storeEnv} started, after the nodes. */
  void closeStore() throws Exception {}

  @AfterAll
  void stop() throws Exception {
    if (files != null) {
      files.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
    closeStore();
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
}
