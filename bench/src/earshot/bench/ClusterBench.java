package earshot.bench;

import earshot.audio.TestAudio;
import earshot.bus.Addresses;
import earshot.testsupport.ClusterApi;
import earshot.testsupport.Databases;
import earshot.testsupport.EmbeddedRedis;
import earshot.testsupport.LocalCluster;
import earshot.testsupport.NodeMain;
import earshot.testsupport.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cluster measured with real processes on loopback ({@link LocalCluster}: one JVM per node, Hazelcast, one
 * embedded Postgres).
 * <ul>
 *   <li>{@code dispatch [samples]}: API, scheduler and worker nodes apart, no-op stages; one job at a time, from the
 *   HTTP submit on the API node to its first stage starting on the worker node (both read from the wall clock this
 *   machine's nodes share). p50, p99.</li>
 *   <li>{@code throughput [jobs]}: an API+scheduler node and 1, 2, then 3 worker nodes with no-op stages; the jobs
 *   are queued first, then the workers start; stage runs per second until the last job completes.</li>
 *   <li>{@code chaos [jobs] [seconds between kills]}: the failure test at length, with real stages and the synthetic
 *   model: two schedulers, three worker nodes, one of them (or the second scheduler) killed with -9 and started again
 *   over and over; jobs lost and duplicated, re-executions, time to lease again (p50, p95) and the time until
 *   throughput is back to 90% of what it was before each kill.</li>
 * </ul>
 */
public final class ClusterBench {
  private ClusterBench() {}

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "dispatch";
    Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "cluster-bench");
    System.out.printf(Locale.ROOT, "machine: %d cores, %d MiB max heap per JVM here%n",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
    switch (mode) {
      case "dispatch" -> dispatch(dir, args.length > 1 ? Integer.parseInt(args[1]) : 300);
      case "throughput" -> {
        int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int only = args.length > 2 ? Integer.parseInt(args[2]) : 0; // one worker count only, or 1 to 3
        for (int workers = Math.max(1, only); workers <= (only > 0 ? only : 3); workers++) {
          throughput(dir.resolve("w" + workers), jobs, workers);
        }
      }
      case "chaos" -> ChaosRun.run(dir, args.length > 1 ? Integer.parseInt(args[1]) : 1000,
          args.length > 2 ? Integer.parseInt(args[2]) : 30);
      default -> throw new IllegalArgumentException("mode: dispatch, throughput or chaos");
    }
    System.exit(0);
  }

  static final Map<String, String> NOOP = Map.of("EARSHOT_TEST_STAGES", "noop");

  private static void dispatch(Path dir, int samples) throws Exception {
    try (LocalCluster cluster = new LocalCluster(dir, Databases.postgresUrl(), 5, NOOP)) {
      NodeProcess api = cluster.start("api", "api");
      NodeProcess scheduler = cluster.start("scheduler", "scheduler");
      NodeProcess worker = cluster.start("worker", "cpu,gpu");
      for (NodeProcess n : cluster.nodes()) {
        n.awaitReady(Duration.ofMinutes(2));
      }
      Vertx observer = cluster.observer();
      Map<Long, CompletableFuture<Long>> firstStage = new ConcurrentHashMap<>();
      Map<Long, CompletableFuture<Void>> done = new ConcurrentHashMap<>();
      observer.eventBus().<JsonObject>consumer(NodeMain.STAGE_STARTED, m -> firstStage
          .computeIfAbsent(m.body().getLong("id"), k -> new CompletableFuture<>()).complete(m.body().getLong("at_micros")))
          .completion().await(10, TimeUnit.SECONDS);
      observer.eventBus().<JsonObject>consumer(Addresses.JOBS_FINISHED, m -> done
          .computeIfAbsent(m.body().getLong("id"), k -> new CompletableFuture<>()).complete(null))
          .completion().await(10, TimeUnit.SECONDS);
      Path wav = TestAudio.writeWav(cluster.audioDir().resolve("a.wav"), 1, 16_000, 1);
      ClusterApi client = new ClusterApi(api);
      List<Double> ms = new ArrayList<>();
      for (int i = 0; i < samples + 20; i++) {
        long submitted = micros(Instant.now());
        long id = client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false));
        long started = firstStage.computeIfAbsent(id, k -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
        done.computeIfAbsent(id, k -> new CompletableFuture<>()).get(30, TimeUnit.SECONDS);
        if (i >= 20) { // the first ones warm the JITs
          ms.add((started - submitted) / 1000.0);
        }
      }
      Collections.sort(ms);
      System.out.printf(Locale.ROOT, "dispatch API node -> scheduler node -> worker node, %d samples: p50 %.2f ms,"
          + " p99 %.2f ms, max %.2f ms%n", ms.size(), pct(ms, 50), pct(ms, 99), ms.getLast());
      scheduler.isAlive();
      worker.isAlive();
    }
  }

  private static void throughput(Path dir, int jobs, int workers) throws Exception {
    Files.createDirectories(dir);
    try (LocalCluster cluster = new LocalCluster(dir, Databases.postgresUrl(), 3 + workers, Map.of(
        "EARSHOT_TEST_STAGES", "noop", "EARSHOT_CPU_SLOTS", "8", "EARSHOT_GPU_SLOTS", "8"))
        .withConf(new JsonObject().put("quota", new JsonObject().put("default_tier", "bulk").put("tiers",
            new JsonObject().put("bulk", new JsonObject().put("concurrent_jobs", 10_000).put("concurrent_streams", 1)
                .put("max_queued_jobs", 1_000_000)))))) {
      NodeProcess api = cluster.start("api-scheduler", "api,scheduler");
      api.awaitReady(Duration.ofMinutes(2));
      Vertx observer = cluster.observer();
      AtomicInteger completed = new AtomicInteger();
      CompletableFuture<Long> last = new CompletableFuture<>();
      CompletableFuture<Long> first = new CompletableFuture<>();
      observer.eventBus().<JsonObject>consumer(NodeMain.STAGE_STARTED, m -> first.complete(System.nanoTime()))
          .completion().await(10, TimeUnit.SECONDS);
      observer.eventBus().<JsonObject>consumer(Addresses.JOBS_FINISHED, m -> {
        if (completed.incrementAndGet() == jobs) {
          last.complete(System.nanoTime());
        }
      }).completion().await(10, TimeUnit.SECONDS);
      Path wav = TestAudio.writeWav(cluster.audioDir().resolve("a.wav"), 1, 16_000, 1);
      ClusterApi client = new ClusterApi(api);
      for (int i = 0; i < jobs; i++) {
        client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false));
      }
      for (int w = 0; w < workers; w++) {
        cluster.start("worker" + w, "cpu,gpu");
      }
      long end = last.get(10, TimeUnit.MINUTES);
      long t0 = first.get(); // the queue held all the jobs when the first stage started
      double seconds = (end - t0) / 1e9;
      System.out.printf(Locale.ROOT, "throughput with %d worker node(s): %d jobs x 3 no-op stages in %.1f s ="
          + " %.0f stage runs/s (%.0f jobs/s)%n", workers, jobs, seconds, jobs * 3 / seconds, jobs / seconds);
    }
  }

  static long micros(Instant t) {
    return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
  }

  static double pct(List<Double> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  /** The long failure run. */
  static final class ChaosRun {
    private ChaosRun() {}

    static void run(Path dir, int jobs, int killEverySeconds) throws Exception {
      EmbeddedRedis redis = EmbeddedRedis.start();
      Duration lease = Duration.ofSeconds(8);
      try (LocalCluster cluster = new LocalCluster(dir, Databases.postgresUrl(), 40, Map.of(
          "JOBS_LEASE_SECONDS", Long.toString(lease.toSeconds()), "REDIS_URL", redis.url(),
          "EARSHOT_CPU_SLOTS", "2", "EARSHOT_GPU_SLOTS", "1"))
          .withConf(new JsonObject().put("quota", new JsonObject().put("default_tier", "bulk").put("tiers",
              new JsonObject().put("bulk", new JsonObject().put("concurrent_jobs", 1000).put("concurrent_streams", 1)
                  .put("max_queued_jobs", 1_000_000)))))) {
        NodeProcess api = cluster.start("api-scheduler", "api,scheduler");
        List<NodeProcess> victims = new ArrayList<>(List.of(cluster.start("scheduler2", "scheduler"),
            cluster.start("worker-a", "cpu,gpu"), cluster.start("worker-b", "cpu,gpu"),
            cluster.start("worker-c", "cpu,gpu")));
        for (NodeProcess n : cluster.nodes()) {
          n.awaitReady(Duration.ofMinutes(2));
        }
        Vertx observer = cluster.observer();
        Map<Long, List<long[]>> leases = new ConcurrentHashMap<>();
        Map<Long, AtomicInteger> completedEvents = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Long> completions = new ConcurrentLinkedQueue<>();
        observer.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
          JsonObject e = m.body();
          long id = e.getLong("id");
          if ("processing".equals(e.getString("status"))) {
            leases.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>()))
                .add(new long[] {e.getLong("lease_token"), System.nanoTime()});
          } else if ("completed".equals(e.getString("status"))) {
            completedEvents.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            completions.add(System.nanoTime());
          }
        }).completion().await(10, TimeUnit.SECONDS);
        Path wav = TestAudio.writeWav(cluster.audioDir().resolve("a.wav"), 1, 16_000, 1);
        ClusterApi client = new ClusterApi(api);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
          ids.add(client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false)));
        }
        long runStart = System.nanoTime();
        Random random = new Random(1);
        List<long[]> kills = new ArrayList<>(); // {when, ...}
        Map<Long, long[]> inFlight = new ConcurrentHashMap<>(); // job -> {token at kill, kill time}
        try (var db = cluster.jdbc(); var s = db.createStatement()) {
          while (completed(s) < jobs) {
            Thread.sleep(killEverySeconds * 1000L);
            if (completed(s) >= jobs * 0.9) {
              break; // leave the tail alone: too few jobs left to see throughput come back
            }
            int pick = random.nextInt(victims.size());
            NodeProcess victim = victims.get(pick);
            Set<String> workers = workersOf(observer, victim);
            victim.kill();
            long now = System.nanoTime();
            kills.add(new long[] {now});
            try (var rs = s.executeQuery("SELECT id, lease_token, lease_owner FROM jobs WHERE status = 'processing'")) {
              while (rs.next()) {
                if (workers.contains(rs.getString(3))) {
                  inFlight.put(rs.getLong(1), new long[] {rs.getLong(2), now});
                }
              }
            }
            System.out.printf(Locale.ROOT, "%5.0f s: killed %s; %d jobs completed%n", (now - runStart) / 1e9,
                victim.name(), completions.size());
            NodeProcess again = cluster.restart(victim);
            victims.set(pick, again);
            again.awaitReady(Duration.ofMinutes(2));
          }
          long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
          while (completed(s) < jobs && System.nanoTime() < deadline) {
            Thread.sleep(500);
          }
          long lost = 0;
          long reExecutions = 0;
          try (var rs = s.executeQuery("SELECT status, lease_token FROM jobs")) {
            while (rs.next()) {
              lost += "completed".equals(rs.getString(1)) ? 0 : 1;
              reExecutions += Math.max(0, rs.getLong(2) - 3);
            }
          }
          long duplicated = completedEvents.values().stream().filter(c -> c.get() > 1).count();
          List<Double> relet = new ArrayList<>();
          inFlight.forEach((id, k) -> leases.getOrDefault(id, List.of()).stream().filter(l -> l[0] > k[0])
              .mapToLong(l -> l[1]).min().ifPresent(t -> relet.add((t - k[1]) / 1e6)));
          Collections.sort(relet);
          List<Long> done = new ArrayList<>(completions);
          Collections.sort(done);
          List<Double> recovery = new ArrayList<>();
          for (long[] kill : kills) {
            double before = rate(done, kill[0] - TimeUnit.SECONDS.toNanos(20), kill[0]);
            for (long t = kill[0]; t < kill[0] + TimeUnit.SECONDS.toNanos(killEverySeconds * 3L);
                 t += TimeUnit.MILLISECONDS.toNanos(250)) {
              if (rate(done, t, t + TimeUnit.SECONDS.toNanos(5)) >= 0.9 * before) {
                recovery.add((t - kill[0]) / 1e9);
                break;
              }
            }
          }
          Collections.sort(recovery);
          System.out.printf(Locale.ROOT, "chaos: %d jobs, %d kills; lost %d, duplicated %d, re-executions %d (jobs in"
                  + " flight on killed workers %d); leased again after p50 %.0f ms, p95 %.0f ms (lease %d s);"
                  + " throughput back to 90%% after p50 %.1f s, max %.1f s (%d of %d kills recovered in the window)%n",
              jobs, kills.size(), lost, duplicated, reExecutions, inFlight.size(),
              relet.isEmpty() ? Double.NaN : pct(relet, 50), relet.isEmpty() ? Double.NaN : pct(relet, 95),
              lease.toSeconds(), recovery.isEmpty() ? Double.NaN : pct(recovery, 50),
              recovery.isEmpty() ? Double.NaN : recovery.getLast(), recovery.size(), kills.size());
        }
      } finally {
        redis.close();
      }
    }

    /** Jobs completed, by the store (an event published by a node killed a moment later may never arrive). */
    static long completed(java.sql.Statement s) throws java.sql.SQLException {
      try (var rs = s.executeQuery("SELECT count(*) FROM jobs WHERE status = 'completed'")) {
        rs.next();
        return rs.getLong(1);
      }
    }

    /** Completions per second in [from, to). */
    static double rate(List<Long> sortedCompletions, long from, long to) {
      int lo = Collections.binarySearch(sortedCompletions, from);
      int hi = Collections.binarySearch(sortedCompletions, to);
      lo = lo < 0 ? -lo - 1 : lo;
      hi = hi < 0 ? -hi - 1 : hi;
      return (hi - lo) / ((to - from) / 1e9);
    }

    static Set<String> workersOf(Vertx observer, NodeProcess node) throws Exception {
      String prefix = node.pid() + "@";
      Set<String> workers = ConcurrentHashMap.newKeySet();
      new earshot.cluster.WorkerDirectory(observer).live().await(10, TimeUnit.SECONDS).stream()
          .filter(w -> w.nodeId().startsWith(prefix)).forEach(w -> workers.add(w.worker()));
      return workers;
    }
  }
}
