package earshot.quota;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.awaitFailure;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.HoldReply;
import earshot.bus.HoldRequest;
import earshot.bus.ReleaseHold;
import earshot.metrics.MicrometerQuotaMetrics;
import earshot.metrics.NoopQuotaMetrics;
import earshot.metrics.QuotaMetrics;
import earshot.testsupport.Deadlines;
import earshot.testsupport.EmbeddedRedis;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The quota verticle over the local event bus, with a real redis-server where it matters: holders of a stopped
 * verticle heal after the TTL, a Redis that dies mid-run is bridged by in-process counters and rejoined, and two
 * nodes sharing one Redis never exceed a limit together.
 */
@ExtendWith(VertxExtension.class)
class QuotaVerticleTest {
  /** Long enough that no holder expires while a test on a loaded machine is merely slow. */
  static final Duration TTL = Deadlines.WAIT;
  /** For the expiry test alone: outlasts a redeployment on a loaded machine, and is waited out once. */
  static final Duration SHORT_TTL = Deadlines.loaded(Duration.ofMillis(500));
  /**
   * A short backoff so a test sees Redis's return within a second. A stopped Redis refuses connections at once, so
   * the command timeout only has to be long enough that a loaded build machine never trips it by accident.
   */
  static final RedisTimings FAST =
      new RedisTimings(Deadlines.loaded(Duration.ofSeconds(1)), Duration.ofMillis(50), Duration.ofMillis(400));
  static final Duration WAIT = Deadlines.WAIT;

  final String owner = "owner-" + UUID.randomUUID();
  final String jobsKey = "audio:active_jobs:" + owner;
  EmbeddedRedis redis;

  @AfterEach
  void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void withoutRedisCountsInThisProcess(Vertx vertx) {
    deploy(vertx, null, TTL, NoopQuotaMetrics.INSTANCE);

    assertEquals(new HoldReply(true, 1), hold(vertx, CounterKind.STREAMS, "s1", 1));
    assertEquals(new HoldReply(false, 1), hold(vertx, CounterKind.STREAMS, "s2", 1));
    assertEquals(new HoldReply(true, 1), hold(vertx, CounterKind.STREAMS, "s1", 1), "holding again is granted");
    assertEquals(new ActiveCountsReply(owner, 0, 1, "local"), active(vertx));

    release(vertx, CounterKind.STREAMS, "s1");
    release(vertx, CounterKind.STREAMS, "unknown");
    assertEquals(new ActiveCountsReply(owner, 0, 0, "local"), active(vertx));

    assertEquals(Failures.BAD_REQUEST, failureCode(vertx.eventBus().request(Addresses.QUOTA_HOLD,
        new HoldRequest("gpus", owner, "x", 1).toJson())));
    assertEquals(Failures.BAD_REQUEST, failureCode(vertx.eventBus().request(Addresses.QUOTA_HOLD,
        new JsonObject().put("kind", "jobs").put("owner_user_id", owner).put("limit", 1))));
    assertEquals(Failures.BAD_REQUEST, failureCode(vertx.eventBus().request(Addresses.QUOTA_ACTIVE,
        new JsonObject())));
    assertEquals(Failures.BAD_REQUEST, failureCode(vertx.eventBus().request(Addresses.QUOTA_RELEASE, null)));
    assertEquals(Failures.BAD_REQUEST, failureCode(vertx.eventBus().request(Addresses.QUOTA_ACTIVE, null)));
  }

  @Test
  void holdersOfAStoppedVerticleExpireAfterTheTtl(Vertx vertx) {
    redis = EmbeddedRedis.start();
    Redis probe = Redis.createClient(vertx, redis.url());
    String first = deploy(vertx, redis.url(), SHORT_TTL, NoopQuotaMetrics.INSTANCE);
    assertTrue(hold(vertx, CounterKind.JOBS, "j1", 2).granted());
    assertTrue(hold(vertx, CounterKind.JOBS, "j2", 2).granted());
    assertFalse(hold(vertx, CounterKind.JOBS, "j3", 2).granted());

    long stamped = send(probe, Request.cmd(Command.ZSCORE).arg(jobsKey).arg("j1")).toLong();
    until("the running verticle to re-stamp its holder", WAIT,
        () -> send(probe, Request.cmd(Command.ZSCORE).arg(jobsKey).arg("j1")).toLong() > stamped);

    await(vertx.undeploy(first)); // stops refreshing, releases nothing: a crash as far as Redis can tell
    deploy(vertx, redis.url(), SHORT_TTL, NoopQuotaMetrics.INSTANCE);
    assertFalse(hold(vertx, CounterKind.JOBS, "j3", 2).granted(), "the stopped verticle's holders still count");

    until("the stopped verticle's holders to expire", WAIT, () -> hold(vertx, CounterKind.JOBS, "j3", 2).granted());
    assertEquals(new ActiveCountsReply(owner, 1, 0, "redis"), active(vertx));
  }

  @Test
  void redisKilledMidwayIsBridgedLocallyAndRejoined(Vertx vertx) {
    redis = EmbeddedRedis.start(true); // comes back with what it had, so a stale holder would show
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // A long TTL: nothing expires during the test, so every count below is what the verticle made it.
    deploy(vertx, redis.url(), TTL, new MicrometerQuotaMetrics(registry, true));
    assertTrue(hold(vertx, CounterKind.JOBS, "j1", 3).granted());
    assertTrue(hold(vertx, CounterKind.JOBS, "j2", 3).granted());
    assertEquals(0.0, gauge(registry, "audio_redis_fallback"));

    redis.stop();

    assertEquals(new HoldReply(true, 3), hold(vertx, CounterKind.JOBS, "j3", 3), "seeded with j1 and j2");
    assertEquals(new HoldReply(false, 3), hold(vertx, CounterKind.JOBS, "j4", 3));
    assertEquals(1.0, gauge(registry, "audio_redis_fallback"));
    assertEquals(new ActiveCountsReply(owner, 3, 0, "local"), active(vertx));
    release(vertx, CounterKind.JOBS, "j1");
    assertEquals(new HoldReply(true, 3), hold(vertx, CounterKind.JOBS, "j4", 3));

    redis.restart();

    until("the verticle to return to Redis", WAIT, () -> gauge(registry, "audio_redis_fallback") == 0.0);
    Redis probe = Redis.createClient(vertx, redis.url());
    Set<String> inRedis = send(probe, Request.cmd(Command.ZRANGE).arg(jobsKey).arg(0).arg(-1)).stream()
        .map(Response::toString).collect(Collectors.toSet());
    assertEquals(Set.of("j2", "j3", "j4"), inRedis, "holders made meanwhile re-added, the release replayed");
    assertEquals(new ActiveCountsReply(owner, 3, 0, "redis"), active(vertx));
    assertEquals(new HoldReply(false, 3), hold(vertx, CounterKind.JOBS, "j5", 3));
    assertEquals(3.0, gauge(registry, "audio_active_jobs{owner=\"" + owner + "\"}"));
  }

  @Test
  void startsLocallyWhenRedisIsDownAndMovesToRedisWhenItComesUp(Vertx vertx) {
    redis = EmbeddedRedis.start();
    redis.stop();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    deploy(vertx, redis.url(), TTL, new MicrometerQuotaMetrics(registry, false));

    assertEquals(1.0, gauge(registry, "audio_redis_fallback"));
    assertEquals(new HoldReply(true, 1), hold(vertx, CounterKind.STREAMS, "s1", 1));
    assertEquals(1.0, gauge(registry, "audio_active_streams"));

    redis.restart();

    until("the verticle to move to Redis", WAIT, () -> "redis".equals(active(vertx).backend()));
    assertEquals(new HoldReply(false, 1), hold(vertx, CounterKind.STREAMS, "s2", 1), "s1 was written to Redis");
  }

  @Test
  void twoNodesSharingRedisNeverTogetherExceedTheLimit(Vertx vertx) {
    redis = EmbeddedRedis.start();
    Vertx other = Vertx.vertx();
    try {
      deploy(vertx, redis.url(), TTL, NoopQuotaMetrics.INSTANCE);
      deploy(other, redis.url(), TTL, NoopQuotaMetrics.INSTANCE);

      List<Future<Message<JsonObject>>> holds = new ArrayList<>();
      List<String> holders = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        for (Vertx node : List.of(vertx, other)) {
          String holder = (node == vertx ? "a-" : "b-") + i;
          holders.add(holder);
          holds.add(node.eventBus().request(Addresses.QUOTA_HOLD,
              new HoldRequest("jobs", owner, holder, 3).toJson()));
        }
      }
      await(Future.all(holds));
      List<String> granted = new ArrayList<>();
      for (int i = 0; i < holds.size(); i++) {
        if (HoldReply.fromJson(holds.get(i).result().body()).granted()) {
          granted.add(holders.get(i));
        }
      }
      assertEquals(3, granted.size(), "granted: " + granted);
      assertEquals(3, active(vertx).jobs());
      assertEquals(3, active(other).jobs());

      release(other, CounterKind.JOBS, granted.get(0)); // a job may end on another node than it started on
      assertEquals(2, active(vertx).jobs());
      assertTrue(hold(other, CounterKind.JOBS, "late", 3).granted());
      assertFalse(hold(vertx, CounterKind.JOBS, "later", 3).granted());
    } finally {
      await(other.close());
    }
  }

  private String deploy(Vertx vertx, String url, Duration ttl, QuotaMetrics metrics) {
    return await(vertx.deployVerticle(new QuotaVerticle(url, ttl, metrics, Clock.systemUTC(), FAST)));
  }

  private HoldReply hold(Vertx vertx, CounterKind kind, String holder, int limit) {
    return HoldReply.fromJson(await(vertx.eventBus().<JsonObject>request(Addresses.QUOTA_HOLD,
        new HoldRequest(kind.wireName(), owner, holder, limit).toJson())).body());
  }

  private void release(Vertx vertx, CounterKind kind, String holder) {
    await(vertx.eventBus().request(Addresses.QUOTA_RELEASE, new ReleaseHold(kind.wireName(), owner, holder).toJson()));
  }

  private ActiveCountsReply active(Vertx vertx) {
    return ActiveCountsReply.fromJson(await(vertx.eventBus().<JsonObject>request(Addresses.QUOTA_ACTIVE,
        new ActiveCounts(owner).toJson())).body());
  }

  private static int failureCode(Future<?> request) {
    return assertInstanceOf(ReplyException.class, awaitFailure(request)).failureCode();
  }

  private static Response send(Redis client, Request request) {
    return await(client.send(request));
  }

  /** The value of one series in a real Prometheus scrape. */
  private static double gauge(PrometheusMeterRegistry registry, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(registry.scrape());
    assertTrue(m.find(), series + " is not in the scrape");
    return Double.parseDouble(m.group(1));
  }
}
