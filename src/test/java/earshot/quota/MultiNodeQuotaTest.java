package earshot.quota;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.EarshotNode;
import earshot.bus.Addresses;
import earshot.bus.JobEvent;
import earshot.bus.SubmitJob;
import earshot.bus.TierChange;
import earshot.config.EarshotConfig;
import earshot.jobs.JobStage;
import earshot.jobs.PayloadKeys;
import earshot.metrics.NoopJobMetrics;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import earshot.testsupport.Deadlines;
import earshot.testsupport.EmbeddedRedis;
import earshot.testsupport.StandInStages;
import earshot.testsupport.TestConfigs;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two scheduler nodes, each with its own SQLite store (so the acquire transactions know nothing of each other),
 * sharing one real Redis for the active-jobs counters: together they never run more of an owner's jobs at once than
 * the owner's tier allows, and when Redis goes away they keep working on in-process counters and go back to Redis
 * once it returns.
 */
class MultiNodeQuotaTest {
  /** A hundred jobs through both nodes: about ten seconds on a quiet machine. */
  static final Duration WAIT = Deadlines.loaded(Duration.ofSeconds(12));
  /** Owner to tier limit: a and b are free (1 at once), p is premium (2 at once). */
  static final Map<String, Integer> LIMITS = Map.of("a", 1, "b", 1, "p", 2);

  @TempDir
  Path tempDir;

  EmbeddedRedis redis;
  final List<Vertx> vertxes = new ArrayList<>();
  final List<EarshotNode> nodes = new ArrayList<>();
  final List<PrometheusMeterRegistry> registries = new ArrayList<>();
  /** Stage runs in progress per owner, across both nodes, and the most ever seen. */
  final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
  final Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();
  final Set<Long> completedA = ConcurrentHashMap.newKeySet();
  final Set<Long> completedB = ConcurrentHashMap.newKeySet();
  final Map<String, Integer> retried = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    redis = EmbeddedRedis.start();
    for (int i = 0; i < 2; i++) {
      Vertx vertx = Vertx.vertx();
      vertxes.add(vertx);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      registries.add(registry);
      EarshotConfig config = TestConfigs.local(tempDir.resolve("node" + i), new JsonObject()
          .put("roles", i == 0 ? List.of("api", "scheduler", "cpu", "gpu") : List.of("scheduler", "cpu", "gpu"))
          .put("runners", new JsonObject().put("cpu_slots", 4).put("gpu_slots", 2))
          .put("jobs", new JsonObject().put("poll_interval_ms", 100))
          .put("quota", new JsonObject().put("default_tier", "free").put("redis_url", redis.url())
              // Holders are re-stamped every TTL/3; a loaded event loop must never let a running job's lapse.
              .put("counter_ttl_seconds", Deadlines.loaded(Duration.ofSeconds(3)).toSeconds())
              .put("tiers", new JsonObject()
                  .put("free", new JsonObject().put("concurrent_jobs", 1).put("concurrent_streams", 1)
                      .putNull("daily_minutes").putNull("max_queued_jobs"))
                  .put("premium", new JsonObject().put("concurrent_jobs", 2).put("concurrent_streams", 1)
                      .putNull("daily_minutes").putNull("max_queued_jobs")))));
      EarshotNode node = new EarshotNode(vertx, config, NoopJobMetrics.INSTANCE, registry, stages(vertx),
          Clock.systemUTC());
      await(node.start());
      nodes.add(node);
      // Tiers live in each store; p is premium on both.
      await(vertx.eventBus().request(Addresses.QUOTA_TIER_SET, new TierChange("p", "premium").toJson()));
      Set<Long> completed = i == 0 ? completedA : completedB;
      vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> {
        JobEvent e = JobEvent.fromJson(m.body());
        if ("completed".equals(e.status())) {
          completed.add(e.id());
          retried.merge(e.ownerUserId(), e.retryCount(), Integer::sum);
        }
      });
    }
  }

  @AfterEach
  void stop() {
    for (int i = 0; i < nodes.size(); i++) {
      await(nodes.get(i).stop());
      await(vertxes.get(i).close());
    }
    redis.close();
  }

  /** Every stage takes a few milliseconds and records how many of its owner's stages run at that moment. */
  StageRegistry stages(Vertx vertx) {
    return StandInStages.everyStage((stage, ctx) -> {
      String owner = ctx.job().ownerUserId();
      int now = running.computeIfAbsent(owner, o -> new AtomicInteger()).incrementAndGet();
      peak.computeIfAbsent(owner, o -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      Promise<StageOutcome> done = Promise.promise();
      vertx.setTimer(3, id -> {
        running.get(owner).decrementAndGet();
        done.complete(new StageOutcome.Completed(ctx.payload(),
            stage == JobStage.AUDIO_STORE ? new JsonObject().put("text", "ok") : null));
      });
      return done.future();
    });
  }

  void submit(int n, int offset) {
    List<String> owners = List.of("a", "b", "p");
    for (int i = 0; i < n; i++) {
      String owner = owners.get((i + offset) % owners.size());
      JsonObject payload = new JsonObject().put(PayloadKeys.URL, "https://example.org/" + i + ".mp3")
          .put(PayloadKeys.PERFORM_CHUNKING, false).put(PayloadKeys.PERFORM_ANALYSIS, false);
      Vertx vertx = vertxes.get(i % 2);
      await(vertx.eventBus().request(Addresses.JOBS_SUBMIT, new SubmitJob(owner, payload, 0, null, null).toJson()));
    }
  }

  int completed() {
    return completedA.size() + completedB.size();
  }

  double fallbackGauge(int node) {
    String line = registries.get(node).scrape().lines().filter(l -> l.startsWith("audio_redis_fallback "))
        .findFirst().orElse("audio_redis_fallback NaN");
    return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
  }

  /** What node 0's {@code GET /api/v1/audio/queue/stats} says about Redis. */
  String redisStatus() {
    return await(WebClient.create(vertxes.get(0)).get(nodes.get(0).httpPort(), "127.0.0.1",
        "/api/v1/audio/queue/stats").send()).bodyAsJsonObject().getJsonObject("redis").getString("status");
  }

  @Test
  void twoSchedulersSharingRedisNeverRunMoreOfAnOwnersJobsThanTheTierAllows() {
    submit(100, 0);
    until("all 100 jobs complete", WAIT, () -> completed() == 100);
    LIMITS.forEach((owner, limit) -> assertTrue(peak.get(owner).get() <= limit,
        () -> owner + " ran " + peak.get(owner).get() + " stages at once; the limit is " + limit));
    assertEquals(Map.of("a", 0, "b", 0, "p", 0), retried, "a job turned away by the counter is not charged a retry");
    assertEquals(0.0, fallbackGauge(0));
    assertEquals(0.0, fallbackGauge(1));
    assertEquals("UP", redisStatus());
  }

  @Test
  void whenRedisGoesAwayJobsKeepFlowingOnLocalCountersAndRedisIsUsedAgainWhenItReturns() {
    submit(60, 0);
    until("a third of the jobs complete", WAIT, () -> completed() >= 20);
    redis.stop();
    until("both nodes fall back to in-process counters", WAIT, () -> fallbackGauge(0) == 1.0
        && fallbackGauge(1) == 1.0);
    assertEquals("FALLBACK", redisStatus());
    until("every job still completes", WAIT, () -> completed() == 60);

    redis.restart();
    until("both nodes count in Redis again", WAIT, () -> fallbackGauge(0) == 0.0 && fallbackGauge(1) == 0.0);
    assertEquals("UP", redisStatus());
    peak.clear();
    submit(30, 1);
    until("the jobs submitted after the return complete", WAIT, () -> completed() == 90);
    LIMITS.forEach((owner, limit) -> assertTrue(peak.get(owner).get() <= limit,
        () -> owner + " ran " + peak.get(owner).get() + " stages at once after Redis returned; limit " + limit));
  }
}
