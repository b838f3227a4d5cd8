package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import earshot.audio.TestAudio;
import earshot.bus.Addresses;
import earshot.bus.WorkerEntry;
import earshot.testsupport.ClusterApi;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.EmbeddedRedis;
import earshot.testsupport.LocalCluster;
import earshot.testsupport.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash safety with real processes: a cluster of JVMs on loopback (API and scheduler, a second scheduler, a CPU node,
 * a GPU node and a node with both runner roles) on one Postgres and one Redis, with the synthetic model. Over 210 jobs,
 * a CPU node, then a GPU node, then the second scheduler are killed with -9 in the middle of jobs, and new nodes join
 * while the others run on; then Redis is stopped. Every job is counted by id, in the store (its lease token counts
 * its executions), on the event bus (its events) and at a webhook receiver (its results):
 * <ul>
 *   <li>no job is lost: every one completes;</li>
 *   <li>no job has two results: at most one completed event and one completion webhook per job;</li>
 *   <li>re-executions number at most the jobs that were in flight on the killed nodes (for the scheduler, the jobs
 *       its unanswered acquire requests could have leased: the runners' slots);</li>
 *   <li>each job in flight on a killed worker is leased again within the lease time plus one sweep (plus a margin
 *       for the acquire round trip on a loaded machine);</li>
 *   <li>a node that joins takes work without a restart of the others;</li>
 *   <li>with Redis stopped, jobs keep completing and the owner's limit holds across nodes (acquire transaction).</li>
 * </ul>
 * A stalled worker (SIGSTOP past its lease) is {@link ClusterStallTest}'s.
 */
class ClusterFailoverTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterFailoverTest.class);
  static final int PER_PHASE = 70;
  /** Three stages per job: audio_convert, audio_transcribe, audio_store (no download, chunking or analysis). */
  static final int STAGES = 3;
  static final Duration LEASE = Duration.ofSeconds(8);
  /** jobs.sweepInterval() of that lease: a quarter of it. */
  static final Duration SWEEP = LEASE.dividedBy(4);
  /** The acquire round trip after the sweeper re-queues a job, on a loaded 2-core machine. */
  static final Duration MARGIN = Duration.ofSeconds(4);
  static final Duration START = Deadlines.loaded(Duration.ofSeconds(30));
  static final Duration ALL_DONE = Deadlines.loaded(Duration.ofSeconds(60));
  /** cpu slots 2 + 2, gpu slots 1 + 1 on the nodes that live through the scheduler kill, and those that joined. */
  static final int RUNNER_SLOTS = 2 + 2 + 1 + 1 + 1 + 2;

  @TempDir
  Path dir;
  LocalCluster cluster;
  EmbeddedRedis redis;
  HttpServer hooks;
  Connection db;
  final AtomicBoolean sampling = new AtomicBoolean(true);
  Thread sampler;

  /** Per job, its events as the observer got them: status, lease token, and when (System.nanoTime()). */
  final Map<Long, List<long[]>> leases = new ConcurrentHashMap<>();
  final Map<Long, AtomicInteger> completedEvents = new ConcurrentHashMap<>();
  /** Per job, the distinct deliveries of its completion webhook. */
  final Map<Long, Set<String>> completionHooks = new ConcurrentHashMap<>();
  /** Every lease owner seen holding a job, by the sampler. */
  final Set<String> ownersSeen = ConcurrentHashMap.newKeySet();
  /** The most jobs of owner 1 seen processing at once, while that is being watched. */
  final AtomicInteger peakProcessing = new AtomicInteger();
  final AtomicBoolean watchPeak = new AtomicBoolean();

  @AfterEach
  void stop() throws Exception {
    sampling.set(false);
    if (sampler != null) {
      sampler.join(5_000);
    }
    if (hooks != null) {
      hooks.stop(0);
    }
    if (cluster != null) {
      cluster.close();
    }
    if (db != null) {
      db.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void killedWorkersAndSchedulerLoseNothingAndDuplicateNothing() throws Exception {
    redis = EmbeddedRedis.start();
    cluster = new LocalCluster(dir, Databases.postgresUrl(), 12, Map.of(
        "JOBS_LEASE_SECONDS", Long.toString(LEASE.toSeconds()), "REDIS_URL", redis.url(),
        "EARSHOT_CPU_SLOTS", "2", "EARSHOT_GPU_SLOTS", "1"))
        .withConf(new JsonObject().put("quota", new JsonObject().put("default_tier", "bulk").put("tiers",
            new JsonObject()
                .put("bulk", new JsonObject().put("concurrent_jobs", 64).put("concurrent_streams", 1))
                .put("pair", new JsonObject().put("concurrent_jobs", 2).put("concurrent_streams", 1)))));
    NodeProcess api = cluster.start("api-scheduler", "api,scheduler");
    NodeProcess scheduler2 = cluster.start("scheduler2", "scheduler");
    NodeProcess cpu = cluster.start("cpu", "cpu");
    NodeProcess gpu = cluster.start("gpu", "gpu");
    NodeProcess both = cluster.start("cpu-gpu", "cpu,gpu");
    for (NodeProcess n : cluster.nodes()) {
      n.awaitReady(START);
    }
    Vertx observer = cluster.observer();
    observer.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
      JsonObject e = m.body();
      long id = e.getLong("id");
      String status = e.getString("status");
      if ("processing".equals(status)) {
        leases.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>())
            .add(new long[] {e.getLong("lease_token"), System.nanoTime()});
      } else if ("completed".equals(status)) {
        completedEvents.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      }
    }).completion().await(10, TimeUnit.SECONDS);
    startHooks();
    db = cluster.jdbc();
    startSampler();
    Path wav = TestAudio.writeWav(cluster.audioDir().resolve("one-second.wav"), 1, 16_000, 1);
    ClusterApi client = new ClusterApi(api);
    List<Long> ids = new ArrayList<>();
    Map<Long, Long> inFlight = new HashMap<>(); // job → its lease token when its worker was killed
    Map<Long, Long> killedAt = new HashMap<>();

    // 1. kill -9 a CPU node in the middle of jobs; a new CPU node joins
    ids.addAll(submit(client, wav, PER_PHASE));
    kill(cpu, "cpu", inFlight, killedAt);
    NodeProcess cpu2 = cluster.start("cpu-joined", "cpu");
    cpu2.awaitReady(START);
    awaitLeasedAgain(inFlight);

    // 2. the same for a GPU node
    ids.addAll(submit(client, wav, PER_PHASE));
    kill(gpu, "gpu", inFlight, killedAt);
    NodeProcess gpu2 = cluster.start("gpu-joined", "gpu");
    gpu2.awaitReady(START);
    // One failure at a time: the scheduler is killed once the killed workers' jobs run again, or a runner's acquire
    // parked at that scheduler (up to the bus timeout twice) would be counted in the workers' re-lease time.
    awaitLeasedAgain(inFlight);

    // 3. kill -9 the second scheduler while jobs flow through both
    List<Long> third = submit(client, wav, PER_PHASE);
    ids.addAll(third);
    awaitCompleted(third.subList(0, 10), ALL_DONE);
    scheduler2.kill();
    LOG.info("killed the second scheduler");
    awaitCompleted(ids, ALL_DONE);

    // counts by id
    Map<Long, Long> tokens = tokens(ids);
    int reExecutions = 0;
    for (long id : ids) {
      assertTrue(completionHooks.getOrDefault(id, Set.of()).size() <= 1,
          "job " + id + " has two completion webhooks: " + completionHooks.get(id));
      assertTrue(completedEvents.getOrDefault(id, new AtomicInteger()).get() <= 1, "job " + id + " completed twice");
      long extra = tokens.get(id) - STAGES;
      assertTrue(extra >= 0, "job " + id + " has fewer leases than stages: " + tokens.get(id));
      reExecutions += (int) extra;
    }
    int killedWorkersInFlight = inFlight.size();
    LOG.info("re-executions {}, in flight on killed workers {}, runner slots {}", reExecutions, killedWorkersInFlight,
        RUNNER_SLOTS);
    assertTrue(reExecutions <= killedWorkersInFlight + RUNNER_SLOTS, "re-executions " + reExecutions
        + " > jobs in flight on the killed workers " + killedWorkersInFlight + " + slots for the scheduler "
        + RUNNER_SLOTS);
    for (Map.Entry<Long, Long> e : inFlight.entrySet()) {
      long id = e.getKey();
      long relet = leases.getOrDefault(id, List.of()).stream().filter(l -> l[0] > e.getValue())
          .mapToLong(l -> l[1]).min().orElseThrow(() -> new AssertionError("job " + id + " was never leased again"));
      Duration after = Duration.ofNanos(relet - killedAt.get(id));
      LOG.info("job {} leased again {} ms after its worker was killed", id, after.toMillis());
      assertTrue(after.compareTo(LEASE.plus(SWEEP).plus(MARGIN)) <= 0, "job " + id + " was leased again only after "
          + after + " (lease " + LEASE + " + sweep " + SWEEP + " + margin " + MARGIN + ")");
    }
    for (NodeProcess joined : List.of(cpu2, gpu2)) {
      Set<String> workers = workersOf(observer, joined);
      assertFalse(workers.isEmpty(), joined.name() + " is not in the worker directory");
      assertTrue(workers.stream().anyMatch(ownersSeen::contains), joined.name() + " never held a job: " + workers
          + " not in " + ownersSeen);
    }

    // 4. Redis stops: jobs go on, and owner 1, now in a tier of two at once, never has more across the nodes
    ClusterApi.Answer tier = client.put("/api/v1/audio/jobs/admin/tiers/1", new JsonObject().put("tier", "pair"));
    assertEquals(200, tier.status(), tier.body());
    redis.stop();
    peakProcessing.set(0);
    watchPeak.set(true);
    List<Long> withoutRedis = submit(client, wav, 20);
    awaitCompleted(withoutRedis, ALL_DONE);
    watchPeak.set(false);
    assertTrue(peakProcessing.get() <= 2, "owner 1 had " + peakProcessing.get() + " jobs processing at once");
    assertTrue(peakProcessing.get() >= 1, "the sampler saw no job processing");
    assertTrue(both.isAlive() && api.isAlive());
  }

  /** Waits until every job in {@code inFlight} has been leased with a newer token than when its worker died. */
  private void awaitLeasedAgain(Map<Long, Long> inFlight) throws InterruptedException {
    long deadline = System.nanoTime() + ALL_DONE.toNanos();
    for (Map.Entry<Long, Long> e : inFlight.entrySet()) {
      while (leases.getOrDefault(e.getKey(), List.of()).stream().noneMatch(l -> l[0] > e.getValue())) {
        assertTrue(System.nanoTime() < deadline, "job " + e.getKey() + " was never leased again");
        Thread.sleep(50); // the polling interval of a deadline-bounded wait
      }
    }
  }

  private List<Long> submit(ClusterApi client, Path wav, int n) throws Exception {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false)
          .put("callback_url", "http://127.0.0.1:" + hooks.getAddress().getPort() + "/hook")));
    }
    return ids;
  }

  /** Waits until {@code node}'s runner holds a job, kills it with -9, and notes what it held and when. */
  private void kill(NodeProcess node, String role, Map<Long, Long> inFlight, Map<Long, Long> killedAt)
      throws Exception {
    Set<String> workers = workersOf(cluster.observer(), node);
    assertFalse(workers.isEmpty(), node.name() + " is not in the worker directory");
    long deadline = System.nanoTime() + ALL_DONE.toNanos();
    Map<Long, Long> held = Map.of();
    while (held.isEmpty()) {
      assertTrue(System.nanoTime() < deadline, node.name() + " never held a job");
      held = heldBy(workers);
      if (held.isEmpty()) {
        Thread.sleep(20); // the polling interval of a deadline-bounded wait
      }
    }
    node.kill();
    long now = System.nanoTime();
    held = heldBy(workers); // nothing it held can change until its leases expire
    LOG.info("killed {} ({}) holding jobs {}", node.name(), role, held.keySet());
    for (Map.Entry<Long, Long> e : held.entrySet()) {
      inFlight.put(e.getKey(), e.getValue());
      killedAt.put(e.getKey(), now);
    }
  }

  private Map<Long, Long> heldBy(Set<String> workers) throws Exception {
    Map<Long, Long> held = new HashMap<>();
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT id, lease_token, lease_owner FROM jobs WHERE status = 'processing'")) {
      while (rs.next()) {
        if (workers.contains(rs.getString(3))) {
          held.put(rs.getLong(1), rs.getLong(2));
        }
      }
    }
    return held;
  }

  private static Set<String> workersOf(Vertx observer, NodeProcess node) throws Exception {
    String prefix = node.pid() + "@";
    List<WorkerEntry> live = new WorkerDirectory(observer).live().await(10, TimeUnit.SECONDS);
    Set<String> workers = new HashSet<>();
    live.stream().filter(w -> w.nodeId().startsWith(prefix)).forEach(w -> workers.add(w.worker()));
    return workers;
  }

  private Map<Long, Long> tokens(List<Long> ids) throws Exception {
    Map<Long, Long> tokens = new HashMap<>();
    try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT id, lease_token FROM jobs")) {
      while (rs.next()) {
        tokens.put(rs.getLong(1), rs.getLong(2));
      }
    }
    assertTrue(tokens.keySet().containsAll(ids), "jobs missing from the store");
    return tokens;
  }

  private void awaitCompleted(List<Long> ids, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    String list = ids.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElseThrow();
    while (true) {
      Map<String, Integer> byStatus = new HashMap<>();
      try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(
          "SELECT status, count(*) FROM jobs WHERE id IN (" + list + ") GROUP BY status")) {
        while (rs.next()) {
          byStatus.put(rs.getString(1), rs.getInt(2));
        }
      }
      assertEquals(0, byStatus.getOrDefault("failed", 0) + byStatus.getOrDefault("cancelled", 0),
          "jobs lost: " + byStatus);
      if (byStatus.getOrDefault("completed", 0) == ids.size()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("jobs did not complete within " + within + ": " + byStatus);
      }
      Thread.sleep(100); // the polling interval of a deadline-bounded wait
    }
  }

  private void startHooks() throws Exception {
    hooks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hooks.createContext("/hook", ex -> {
      JsonObject body = new JsonObject(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      if ("job.completed".equals(body.getString("event"))) {
        completionHooks.computeIfAbsent(body.getJsonObject("job").getLong("id"), k -> ConcurrentHashMap.newKeySet())
            .add(ex.getRequestHeaders().getFirst("X-Earshot-Delivery"));
      }
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    hooks.start();
  }

  /** Every 50 ms: who holds jobs, and how many of owner 1's run at once (while that is watched). */
  private void startSampler() throws Exception {
    Connection own = cluster.jdbc();
    sampler = Thread.ofPlatform().name("lease-sampler").start(() -> {
      try (own; Statement s = own.createStatement()) {
        while (sampling.get()) {
          int processing = 0;
          try (ResultSet rs = s.executeQuery("SELECT lease_owner, owner_user_id FROM jobs WHERE status = 'processing'")) {
            while (rs.next()) {
              ownersSeen.add(rs.getString(1));
              processing += "1".equals(rs.getString(2)) ? 1 : 0;
            }
          }
          if (watchPeak.get()) {
            peakProcessing.accumulateAndGet(processing, Math::max);
          }
          Thread.sleep(50); // sampling interval
        }
      } catch (Exception e) {
        if (sampling.get()) {
          LOG.warn("sampler stopped: {}", e.toString());
        }
      }
    });
  }
}
