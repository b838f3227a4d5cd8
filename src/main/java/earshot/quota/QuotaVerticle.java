package earshot.quota;

import earshot.bus.ActiveCounts;
import earshot.bus.ActiveCountsReply;
import earshot.bus.Addresses;
import earshot.bus.Failures;
import earshot.bus.HoldReply;
import earshot.bus.HoldRequest;
import earshot.bus.ReleaseHold;
import earshot.metrics.QuotaMetrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's active-jobs and active-streams counters, served on the local event bus ({@link Addresses#QUOTA_HOLD},
 * {@link Addresses#QUOTA_RELEASE}, {@link Addresses#QUOTA_ACTIVE}); local consumers, so each node talks to its own
 * quota verticle even in a cluster. With a Redis URL the counters are {@link FailoverCounters} (shared through
 * Redis, in-process while Redis is unreachable); without, {@link LocalCounters}.
 *
 * <p>It keeps the {@link Holdings} it granted, re-stamps their TTL every TTL/3, and reports this node's holders per
 * owner to {@link QuotaMetrics} after every hold and release. Stopping it releases nothing: a stopped or crashed
 * node's holders expire within the TTL. A refused hold is not counted as a quota hit here; the caller that enforces
 * the quota records it.
 *
 * <p>Deploy one per node: a second would share the local addresses round-robin but not its holders.
 *
 * <p>Threading: an event-loop verticle; everything is non-blocking (the Vert.x Redis client, timers, in-memory maps).
 */
public final class QuotaVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(QuotaVerticle.class);
  /** The TTL the issue proposes: long enough to ride out a slow refresh, short enough to heal a crash quickly. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(120);

  private final String redisUrl;
  private final Duration ttl;
  private final QuotaMetrics metrics;
  private final Clock clock;
  private final RedisTimings timings;
  private final Holdings holdings = new Holdings();
  private ActiveCounters counters;
  private long refreshTimer = -1;

  /**
   * @param redisUrl {@code redis://…} to share counts through Redis; null or blank counts in this process only
   * @param ttl how long a holder lives without a refresh
   */
  public QuotaVerticle(String redisUrl, Duration ttl, QuotaMetrics metrics, Clock clock) {
    this(redisUrl, ttl, metrics, clock, RedisTimings.DEFAULT);
  }

  QuotaVerticle(String redisUrl, Duration ttl, QuotaMetrics metrics, Clock clock, RedisTimings timings) {
    if (ttl.toMillis() < 3) {
      throw new IllegalArgumentException("quota ttl must be at least 3 ms: " + ttl);
    }
    this.redisUrl = redisUrl == null || redisUrl.isBlank() ? null : redisUrl;
    this.ttl = ttl;
    this.metrics = metrics;
    this.clock = clock;
    this.timings = timings;
  }

  @Override
  public Future<?> start() {
    return startCounters()
        .compose(v -> {
          refreshTimer = vertx.setPeriodic(ttl.toMillis() / 3, id -> refreshAll());
          EventBus bus = vertx.eventBus();
          return Future.all(
              bus.<JsonObject>localConsumer(Addresses.QUOTA_HOLD, this::onHold).completion(),
              bus.<JsonObject>localConsumer(Addresses.QUOTA_RELEASE, this::onRelease).completion(),
              bus.<JsonObject>localConsumer(Addresses.QUOTA_ACTIVE, this::onActive).completion());
        });
  }

  @Override
  public Future<?> stop() {
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
    return counters == null ? Future.succeededFuture() : counters.close();
  }

  private Future<Void> startCounters() {
    LocalCounters local = new LocalCounters(clock, ttl);
    if (redisUrl == null) {
      LOG.info("Active jobs and streams are counted in this process (no Redis URL)");
      counters = local;
      return Future.succeededFuture();
    }
    Redis client = Redis.createClient(vertx, RedisCounters.options(redisUrl, timings.commandTimeout()));
    FailoverCounters failover = new FailoverCounters(vertx,
        new RedisCounters(client, ttl, timings.commandTimeout()), local, holdings, metrics,
        timings.reconnectMin(), timings.reconnectMax());
    counters = failover;
    return failover.start().onSuccess(v -> LOG.info("Active jobs and streams are counted in {}", failover.backend()));
  }

  private void onHold(Message<JsonObject> msg) {
    HoldRequest req;
    CounterKey key;
    try {
      req = HoldRequest.fromJson(msg.body());
      key = key(req.kind(), req.owner());
      requireText("holder", req.holder());
      if (req.limit() < 0) {
        throw new IllegalArgumentException("limit must be 0 or more");
      }
    } catch (RuntimeException e) {
      msg.fail(Failures.BAD_REQUEST, e.getMessage());
      return;
    }
    counters.tryHold(key.kind(), key.owner(), req.holder(), req.limit())
        .compose(granted -> {
          if (granted) {
            holdings.add(key, req.holder());
            report(key);
          }
          return counters.count(key.kind(), key.owner()).map(active -> new HoldReply(granted, active));
        })
        .onSuccess(reply -> msg.reply(reply.toJson()))
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, "quota counters failed: " + err.getMessage()));
  }

  private void onRelease(Message<JsonObject> msg) {
    ReleaseHold req;
    CounterKey key;
    try {
      req = ReleaseHold.fromJson(msg.body());
      key = key(req.kind(), req.owner());
      requireText("holder", req.holder());
    } catch (RuntimeException e) {
      msg.fail(Failures.BAD_REQUEST, e.getMessage());
      return;
    }
    // Forget it first: a refresh running meanwhile would otherwise re-add the holder after its release.
    holdings.remove(key, req.holder());
    report(key);
    counters.release(key.kind(), key.owner(), req.holder())
        .onSuccess(v -> msg.reply(new JsonObject()))
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, "quota counters failed: " + err.getMessage()));
  }

  private void onActive(Message<JsonObject> msg) {
    String owner;
    try {
      owner = ActiveCounts.fromJson(msg.body()).owner();
      requireText("owner_user_id", owner);
    } catch (RuntimeException e) {
      msg.fail(Failures.BAD_REQUEST, e.getMessage());
      return;
    }
    Future<Integer> jobs = counters.count(CounterKind.JOBS, owner);
    Future<Integer> streams = counters.count(CounterKind.STREAMS, owner);
    Future.all(jobs, streams)
        .onSuccess(v -> msg.reply(
            new ActiveCountsReply(owner, jobs.result(), streams.result(), counters.backend()).toJson()))
        .onFailure(err -> msg.fail(Failures.UNAVAILABLE, "quota counters failed: " + err.getMessage()));
  }

  /** Re-stamps every holder this node holds; re-adds those the backend lost. */
  private void refreshAll() {
    holdings.snapshot().forEach((key, holders) -> counters.refresh(key.kind(), key.owner(), holders)
        .onFailure(err -> LOG.warn("refreshing {} holders of {} failed: {}", key.kind().wireName(), key.owner(),
            err.toString())));
  }

  private void report(CounterKey key) {
    int n = holdings.count(key);
    switch (key.kind()) {
      case JOBS -> metrics.activeJobs(key.owner(), n);
      case STREAMS -> metrics.activeStreams(key.owner(), n);
    }
  }

  private static CounterKey key(String kind, String owner) {
    requireText("owner_user_id", owner);
    return new CounterKey(CounterKind.fromWire(kind), owner);
  }

  private static void requireText(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " is required");
    }
  }
}
